// The React pages' two builds (docs/frontend.md, "React pages"):
//   npm run build       the client entry, with Vite's manifest, into
//                       ../static/dist (frontend.manifest, frontend.pages_entry)
//   npm run build:ssr   the server bundle of ../pages/*.tsx into
//                       dist-ssr/pages.server.js (ssr.pages), for the sidecar
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

export default defineConfig(({ isSsrBuild }) => ({
  plugins: [react()],
  base: "/static/dist/",
  // the pages live in ../pages, outside this folder: React is resolved
  // from here for them too, so there is one React
  resolve: { dedupe: ["react", "react-dom"] },
  build: isSsrBuild
    ? { outDir: "dist-ssr", emptyOutDir: true }
    : {
        manifest: true,
        outDir: "../static/dist",
        emptyOutDir: true,
        rollupOptions: {
          input: "src/pages.client.tsx",
          output: { hashCharacters: "hex" },
        },
      },
}));
