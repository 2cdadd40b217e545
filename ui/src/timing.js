// Time a case was actually on screen: the clock runs only while the page is visible and
// focused, so a reviewer who switches to another window or closes the laptop adds nothing.

/** A stopwatch over an injectable clock (`now` in ms); pure, so it is testable without a page. */
export function createCaseTimer(now = () => performance.now()) {
  let total = 0;
  let since = null; // start of the running stretch, null when paused
  return {
    start() { total = 0; since = now(); },
    pause() { if (since !== null) { total += now() - since; since = null; } },
    resume() { if (since === null) since = now(); },
    get running() { return since !== null; },
    elapsedMs() { return Math.round(total + (since !== null ? now() - since : 0)); },
  };
}

/**
 * Pause `timer` while the document is hidden or the window has lost focus. Focus is tracked by
 * blur/focus events only (a page that never had a blur counts as focused). Returns a detach function.
 */
export function pauseWhenAway(timer, win = window, doc = document) {
  let blurred = false;
  const sync = () => {
    if (doc.visibilityState === "hidden" || blurred) timer.pause();
    else timer.resume();
  };
  const onBlur = () => { blurred = true; sync(); };
  const onFocus = () => { blurred = false; sync(); };
  doc.addEventListener("visibilitychange", sync);
  win.addEventListener("blur", onBlur);
  win.addEventListener("focus", onFocus);
  return () => {
    doc.removeEventListener("visibilitychange", sync);
    win.removeEventListener("blur", onBlur);
    win.removeEventListener("focus", onFocus);
  };
}
