import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The board's React front end, served by the board under /app/
// (kiln.toml: frontend.spa and frontend.spa_url). `npm run build` writes
// dist/, which `kiln build` compiles in. Under `kiln dev`, Vite serves it
// at http://127.0.0.1:5173/app/ with hot module replacement and hands the
// API to the board.
export default defineConfig({
  base: "/app/",
  plugins: [react()],
  server: {
    proxy: { "/api": process.env.APP_ORIGIN ?? "http://127.0.0.1:8000" },
  },
  build: {
    // hex hashes in the names: Kiln serves them as immutable
    rolldownOptions: { output: { hashCharacters: "hex" } },
  },
});
