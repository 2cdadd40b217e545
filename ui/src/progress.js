// Progress through a project: n of N, and an estimate of the time left from the reviewer's own pace.

/** Median of the recent per-case times (ms), robust to one long coffee break. */
export function typicalCaseMs(elapsed, recent = 30) {
  const xs = elapsed.filter((x) => Number.isFinite(x) && x > 0).slice(-recent).sort((a, b) => a - b);
  if (!xs.length) return null;
  const mid = Math.floor(xs.length / 2);
  return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

/** Estimated ms left for `remaining` cases, or null when there is no pace yet. */
export function estimateRemainingMs(elapsed, remaining) {
  const typical = typicalCaseMs(elapsed);
  return typical === null ? null : typical * Math.max(0, remaining);
}

/** "~3 min left", "~1 h 20 min left", "< 1 min left"; "" when unknown. */
export function formatRemaining(ms) {
  if (ms === null || ms === undefined) return "";
  if (ms <= 0) return "";
  if (ms < 60000) return "< 1 min left";
  const minutes = Math.round(ms / 60000);
  if (minutes < 60) return `~${minutes} min left`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m ? `~${h} h ${m} min left` : `~${h} h left`;
}

/** Sync state as one short line: "synced", "3 waiting", "saved locally" (offline), with the error. */
export function syncText(sync) {
  if (!sync) return "";
  const pending = sync.pending ?? 0;
  if (pending === 0) return sync.last_error && sync.online === false ? "saved locally" : "synced";
  if (sync.online === false) return `saved locally · ${pending} waiting`;
  return `${pending} waiting`;
}
