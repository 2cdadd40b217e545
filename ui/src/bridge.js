// The one module that knows how the UI talks to Python (docs/dev/bridge.md):
//   window mode  (pywebview)  window.pywebview.api.<method>(args), after `pywebviewready`
//   browser mode (naesview app --browser)  POST /bridge/<method> with X-Naesview-Token
// Voxels never pass through the bridge: they are fetched as raw bytes from the loopback server.

const TOKEN_KEY = "naesview.token";
const TOKEN_HEADER = "X-Naesview-Token";

/** An error answered by the bridge: `code` for the program, `message` (one line) for the reviewer. */
export class BridgeError extends Error {
  constructor(code, message) {
    super(message);
    this.name = "BridgeError";
    this.code = code;
  }
}

// Browser mode keeps the token for this tab only and takes it out of the address bar
// (so it is not in screenshots, bookmarks or the history).
function browserToken() {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get("token");
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete("token");
    window.history.replaceState(null, "", url.pathname + url.search + url.hash);
    return fromUrl;
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

function waitForPywebview(timeoutMs) {
  if (window.pywebview?.api) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    window.addEventListener("pywebviewready", () => { clearTimeout(timer); resolve(true); }, { once: true });
  });
}

function unwrap(method, result) {
  if (result && typeof result === "object" && result.error) {
    throw new BridgeError(result.error.code ?? "error", result.error.message ?? `${method} failed`);
  }
  return result;
}

/**
 * Connect to Python. Resolves to {mode, call(method, args), token}.
 * Browser mode when the page was opened with a token (or has one for this tab) and there is
 * no pywebview; otherwise waits for pywebview.
 */
export async function connectBridge() {
  // The window opens the page with ?token= too and uses HTTP: pywebview's js_api answers through
  // eval(), which this page's CSP forbids (docs/dev/bridge.md). The pywebview path below is only
  // a fallback for a page opened without a token.
  const token = browserToken();
  if (token) {
    const call = async (method, args = {}) => {
      let response;
      try {
        response = await fetch(new URL(`/bridge/${encodeURIComponent(method)}`, window.location.href), {
          method: "POST",
          headers: { "Content-Type": "application/json", [TOKEN_HEADER]: token },
          body: JSON.stringify(args),
        });
      } catch {
        throw new BridgeError("offline", "The naesView app is not running any more; start it again and reopen this page.");
      }
      let body = null;
      try { body = await response.json(); } catch { /* not JSON: handled below */ }
      if (body) return unwrap(method, body);
      if (response.status === 403) {
        throw new BridgeError("forbidden", "This page's access token is not valid; open the address naesView printed at start.");
      }
      throw new BridgeError("http", `The app answered ${response.status} to ${method}; restart naesView.`);
    };
    // "window" (native file dialog through choose_dataset) or "browser": Python knows which.
    const info = await call("app_info");
    return { mode: info.mode === "window" ? "window" : "browser", token, call };
  }
  if (!(await waitForPywebview(15000))) {
    throw new BridgeError("no-bridge", "This page needs the naesView app: open the address it printed (with ?token=…).");
  }
  const api = window.pywebview.api;
  const call = async (method, args = {}) => {
    if (typeof api[method] !== "function") throw new BridgeError("unknown", `The app has no ${method}; update naesView.`);
    let result;
    try {
      result = await api[method](args);
    } catch (e) {
      // pywebview passes an uncaught Python exception through; show one line, not a traceback.
      const line = String(e?.message ?? e).split("\n")[0];
      throw new BridgeError("internal", `${method} failed: ${line}`);
    }
    return unwrap(method, result);
  };
  const info = await call("app_info");
  return { mode: "window", token: info.token, call };
}

/** Headers for a voxel or mask request on the loopback server. */
export function voxelHeaders(bridge) {
  return bridge.token ? { [TOKEN_HEADER]: bridge.token } : {};
}
