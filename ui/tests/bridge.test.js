import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";

// The page's globals that bridge.js uses, for a page at `href` (node has fetch, not a window).
function pageAt(href) {
  const store = new Map();
  const page = {
    location: new URL(href),
    history: { replaceState: (_s, _t, url) => { page.location = new URL(url, page.location.href); } },
    addEventListener() {},
  };
  Object.defineProperty(page.location, "href", { get() { return this.toString(); } });
  globalThis.window = page;
  globalThis.sessionStorage = { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => store.set(k, String(v)) };
  return { page, store };
}

// A loopback bridge like naesview's: POST /bridge/<method>, token checked.
async function bridgeServer() {
  const calls = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => { body += c; });
    req.on("end", () => {
      if (req.headers["x-naesview-token"] !== "tok123") { res.writeHead(403).end("forbidden"); return; }
      const method = req.url.replace("/bridge/", "");
      calls.push([method, JSON.parse(body)]);
      const answers = {
        app_info: { mode: "browser", version: "0.1.0" },
        sign_in: { error: { code: "signed_out", message: "wrong username or password; check both and try again" } },
        echo: { got: JSON.parse(body) },
      };
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(answers[method] ?? {}));
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { port: server.address().port, calls, close: () => new Promise((r) => server.close(r)) };
}

test("browser mode: the token leaves the address bar, calls carry it, errors become BridgeErrors", async () => {
  const srv = await bridgeServer();
  try {
    const { page, store } = pageAt(`http://127.0.0.1:${srv.port}/?token=tok123#x`);
    const { connectBridge, BridgeError, voxelHeaders } = await import("../src/bridge.js");
    const bridge = await connectBridge();
    assert.equal(bridge.mode, "browser");
    assert.equal(page.location.search, "");
    assert.equal(page.location.hash, "#x");
    assert.equal(store.get("naesview.token"), "tok123");
    assert.deepEqual(voxelHeaders(bridge), { "X-Naesview-Token": "tok123" });
    assert.deepEqual(await bridge.call("echo", { a: [1, 2] }), { got: { a: [1, 2] } });
    await assert.rejects(bridge.call("sign_in", { username: "x" }), (e) => e instanceof BridgeError
      && e.code === "signed_out" && e.message === "wrong username or password; check both and try again");
    assert.deepEqual(srv.calls.map((c) => c[0]), ["app_info", "echo", "sign_in"]);
    // A reload keeps working from the tab's stored token.
    pageAt(`http://127.0.0.1:${srv.port}/`);
    globalThis.sessionStorage.setItem("naesview.token", "wrong");
    const stale = await connectBridge().catch((e) => e);
    assert.equal(stale.code, "forbidden");
    assert.match(stale.message, /access token is not valid; open the address naesView printed/);
  } finally { await srv.close(); }
});

test("an app that stopped answering is one line that says what to do", async () => {
  const srv = await bridgeServer();
  await srv.close();
  pageAt(`http://127.0.0.1:${srv.port}/?token=tok123`);
  const { connectBridge } = await import("../src/bridge.js");
  const error = await connectBridge().catch((e) => e);
  assert.equal(error.code, "offline");
  assert.match(error.message, /not running any more; start it again/);
});
