// Preloaded into the Microsoft 365 Agents Playground by `mailroom dev`
// (node --require ./loopback-only.cjs ...).
//
// The Playground calls server.listen(port) with no address, so it would accept connections
// on every interface, and it has no authentication: anyone who can reach the port can act as
// the demo user. This keeps every server it opens on 127.0.0.1. Explicit addresses are left
// alone.
"use strict";

const net = require("node:net");

const LOOPBACK = "127.0.0.1";
const originalListen = net.Server.prototype.listen;

function isPort(value) {
  return typeof value === "number" || (typeof value === "string" && /^\d+$/.test(value));
}

net.Server.prototype.listen = function listenOnLoopback(...args) {
  const [first, second] = args;
  if (first === undefined || typeof first === "function") {
    args.unshift(0, LOOPBACK); // listen() / listen(callback): any port, loopback
  } else if (isPort(first) && typeof second !== "string") {
    args.splice(1, 0, LOOPBACK); // listen(port[, backlog][, callback])
  } else if (first && typeof first === "object" && !("path" in first) && !("fd" in first)) {
    if (!first.host && !("handle" in first) && !("_handle" in first)) {
      args[0] = { ...first, host: LOOPBACK };
    }
  }
  return originalListen.apply(this, args);
};
