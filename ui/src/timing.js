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

/** Pause `timer` while the document is hidden or the window has no focus. Returns a detach function. */
export function pauseWhenAway(timer, win = window, doc = document) {
  const sync = () => {
    if (doc.visibilityState === "hidden" || !doc.hasFocus()) timer.pause();
    else timer.resume();
  };
  const events = [[doc, "visibilitychange"], [win, "blur"], [win, "focus"]];
  for (const [target, name] of events) target.addEventListener(name, sync);
  return () => { for (const [target, name] of events) target.removeEventListener(name, sync); };
}
