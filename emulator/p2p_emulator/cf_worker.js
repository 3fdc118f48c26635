// Runs CloudFront Functions (viewer-request) for the emulator and the tests.
// Protocol: one JSON object per line on stdin {"code": "...", "event": {...}}; one JSON line back:
// {"ok": true, "result": <what handler returned>} or {"ok": false, "error": "..."}.
// Each distinct code is compiled once in its own sandbox (no require, no process), as in CloudFront.
"use strict";
const vm = require("vm");
const readline = require("readline");

const compiled = new Map();

function handlerFor(code) {
  let handler = compiled.get(code);
  if (!handler) {
    const sandbox = Object.create(null);
    vm.createContext(sandbox);
    // a guard against a script that never finishes, in wall-clock time on a possibly busy machine (CloudFront
    // limits compute utilization instead, which the control center stays far below)
    vm.runInContext(code + "\n;globalThis.__handler = handler;", sandbox, { timeout: 10000 });
    handler = sandbox.__handler;
    if (typeof handler !== "function") throw new Error("code defines no function handler(event)");
    if (compiled.size > 16) compiled.clear();
    compiled.set(code, handler);
  }
  return handler;
}

const lines = readline.createInterface({ input: process.stdin });
lines.on("line", async (line) => {
  let reply;
  try {
    const { code, event } = JSON.parse(line);
    const result = await handlerFor(code)(event);
    reply = { ok: true, result: result };
  } catch (err) {
    reply = { ok: false, error: String(err && err.stack ? err.stack : err) };
  }
  process.stdout.write(JSON.stringify(reply) + "\n");
});
