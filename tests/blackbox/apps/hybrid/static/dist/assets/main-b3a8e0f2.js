import { shared } from "./shared-4f1c09ab.js"; document.body.dataset.main = shared;
