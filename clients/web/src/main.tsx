import { StrictMode } from "react";
import { createRoot } from "react-dom/client";

// The shared styles load first, so a page's own stylesheet overrides them.
import "./styles.css";
import { App } from "./app/App";
import { initialTheme } from "./ui/theme";

document.documentElement.dataset.theme = initialTheme();

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
