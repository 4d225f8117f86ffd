import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// `npm run build` writes the app into dist/: kiln.toml's frontend.spa
// serves it, and `kiln build` compiles it into the binary. Under
// `kiln dev`, Vite runs beside the app (http://127.0.0.1:5173/, with hot
// module replacement) and hands /api/ to the app.
export default defineConfig({
  plugins: [react()],
  server: {
    proxy: { "/api": process.env.APP_ORIGIN ?? "http://127.0.0.1:8000" },
  },
  build: {
    // hex hashes in the names: Kiln serves them as immutable
    rolldownOptions: { output: { hashCharacters: "hex" } },
  },
});
