import { useEffect, useState } from "react";

// The theme the document shows now (`data-theme` on <html>), for views such as charts that read
// colours from CSS once and must draw again when the theme changes.
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
