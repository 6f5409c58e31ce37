import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// `npm run dev` serves the console with hot reload and proxies the API to a running server
// (ZENITH_URL, default http://127.0.0.1:7700), so the browser talks to one origin.
const server = process.env.ZENITH_URL ?? "http://127.0.0.1:7700";

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: { "/zenith.v1.": { target: server, changeOrigin: true } },
  },
  build: {
    // No inline scripts or data URLs for assets: the server's CSP allows only 'self'.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1500,
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
