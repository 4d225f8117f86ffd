// The client entry of the React pages (frontend.pages_entry): hydrates the
// page the server rendered and takes over navigation between pages.
import { createRoot, hydrateRoot } from "react-dom/client";
import { startPages } from "./kiln-pages";

void startPages(import.meta.glob("../../pages/**/*.tsx"), {
  createRoot,
  hydrateRoot,
});
