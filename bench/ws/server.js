// bench/ws/server.js - the echo server of bench/ws_bench.py on Node's ws:
// every text and binary message back, unchanged. No compression (the Kiln
// side is measured without it too).
"use strict";
const { WebSocketServer } = require("ws");

const port = Number(process.argv[2]);
const wss = new WebSocketServer({ host: "127.0.0.1", port, perMessageDeflate: false });
wss.on("connection", (ws) => {
  ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
});
wss.on("listening", () => console.log("listening on " + port));
