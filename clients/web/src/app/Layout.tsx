import { type ReactNode, useEffect, useState } from "react";
import { NavLink } from "react-router";

import { useTheme } from "../ui/theme";
import { ClusterSwitcher, useCluster } from "./ClusterSwitcher";
import { Palette } from "./Palette";
import { ROUTES } from "./routes";
import { Identity } from "./session";

export function Layout({ children }: { children: ReactNode }) {
  const [theme, toggleTheme] = useTheme();
  const [palette, setPalette] = useState(false);
  const cluster = useCluster();

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
        <ClusterSwitcher />
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
      {/* A new cluster starts the page over: its streams and local state belong to the old one. */}
      <main className="content" key={cluster ?? ""}>
        {children}
      </main>
      {palette && <Palette onClose={() => setPalette(false)} />}
    </div>
  );
}
