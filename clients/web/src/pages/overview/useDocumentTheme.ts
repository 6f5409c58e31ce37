import { useEffect, useState } from "react";

// The theme the document shows now (`data-theme` on <html>). TimeSeries reads its colours once,
// when it is created, and the shell sets the theme after pages mount, so charts keyed by this
// are drawn again in the right colours.
export function useDocumentTheme(): string {
  const root = document.documentElement;
  const [theme, setTheme] = useState(() => root.dataset.theme ?? "");
  useEffect(() => {
    const observer = new MutationObserver(() => setTheme(root.dataset.theme ?? ""));
    observer.observe(root, { attributes: true, attributeFilter: ["data-theme"] });
    setTheme(root.dataset.theme ?? "");
    return () => observer.disconnect();
  }, [root]);
  return theme;
}
