// The server bundle of the React pages (ssr.pages): every pages/*.tsx,
// for the SSR sidecar (share/ssr/server.mjs) to render.
export const pages = import.meta.glob("../../pages/**/*.tsx", { eager: true });
