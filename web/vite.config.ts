import preact from "@preact/preset-vite";
import { defineConfig } from "vite";

const api = process.env.MIAOBU_API ?? "http://localhost:8787";

// `npm run dev -w @miaobu/web` serves the console with hot reload on :5173 and forwards the API to the local
// platform. The API accepts cookie-authenticated writes only from its own origin, so the proxy presents
// the API's origin.
export default defineConfig({
  plugins: [preact()],
  build: { outDir: "dist", emptyOutDir: true, target: "es2022" },
  server: {
    proxy: {
      "/api": { target: api, ws: true, changeOrigin: true, headers: { Origin: api } },
      "/healthz": { target: api, changeOrigin: true },
    },
  },
});
