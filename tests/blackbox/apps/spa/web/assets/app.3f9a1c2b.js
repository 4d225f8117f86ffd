// The client router of the test SPA: renders the route it was loaded at,
// then calls the API (credentials included, for a second origin).
const root = document.getElementById("root");
root.textContent = "route:" + location.pathname;
root.dataset.ready = "1";
