// The one module that knows how the UI talks to Python (docs/dev/bridge.md): in the desktop
// window and in a browser alike, POST /bridge/<method> on the loopback server with the
// per-launch token in X-Naesview-Token (the window opens the page with ?token= too: pywebview's
// js_api answers through eval(), which this page's CSP forbids).
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

function unwrap(method, result) {
  if (result && typeof result === "object" && result.error) {
    throw new BridgeError(result.error.code ?? "error", result.error.message ?? `${method} failed`);
  }
  return result;
}

/**
 * Connect to Python. Resolves to {mode, call(method, args), token}; `mode` is "window" (native
 * file dialogs) or "browser", as the app says.
 */
export async function connectBridge() {
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
  throw new BridgeError("no-bridge", "This page needs the naesView app: open the address it printed (with ?token=…).");
}

/** Headers for a voxel or mask request on the loopback server. */
export function voxelHeaders(bridge) {
  return bridge.token ? { [TOKEN_HEADER]: bridge.token } : {};
}
