import { type ReactNode, useEffect, useState } from "react";
import { NavLink } from "react-router";

import { useTheme } from "../ui/theme";
import { Palette } from "./Palette";
import { ROUTES } from "./routes";
import { Identity } from "./session";

export function Layout({ children }: { children: ReactNode }) {
  const [theme, toggleTheme] = useTheme();
  const [palette, setPalette] = useState(false);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "k") {
        e.preventDefault();
        setPalette((open) => !open);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  return (
    <div className="shell">
      <nav className="sidebar" aria-label="Main">
        <div className="brand">Zenith</div>
        {ROUTES.filter((r) => r.title).map((r) => (
          <NavLink key={r.path} to={r.path} end={r.path === "/"} className="nav-link">
            {r.title}
          </NavLink>
        ))}
        <div className="sidebar-foot">
          <Identity />
          <button type="button" className="ghost" onClick={() => setPalette(true)} title="Ctrl+K">
            Search or jump… <kbd>Ctrl K</kbd>
          </button>
          <button type="button" className="ghost" onClick={toggleTheme} aria-label="Toggle theme">
            {theme === "dark" ? "Light theme" : "Dark theme"}
          </button>
        </div>
      </nav>
      <main className="content">{children}</main>
      {palette && <Palette onClose={() => setPalette(false)} />}
    </div>
  );
}
