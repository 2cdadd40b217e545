// The desktop window's close button asks the page (leave-confirm.js windowCloseQuestion; the shell
// side is naesview_app/shell.py CloseGuard). Run: node --test ui/tests/
import { test } from "node:test";
import assert from "node:assert/strict";

import { windowCloseQuestion } from "../src/leave-confirm.js";

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

function setup({ unsaved = true, busy = false } = {}) {
  const calls = { ask: 0, discard: 0 };
  let reply;
  const q = windowCloseQuestion({
    unsaved: () => unsaved,
    busy: () => busy,
    ask: () => { calls.ask++; return new Promise((resolve) => { reply = resolve; }); },
    discard: () => { calls.discard++; },
  });
  return { q, calls, reply: (choice) => reply(choice) };
}

test("nothing unsaved: close at once, nothing asked", async () => {
  const { q, calls } = setup({ unsaved: false });
  assert.equal(q.request(), "close");
  await tick();
  assert.equal(calls.ask, 0);
  assert.equal(q.answer(), null);
});

test("unsaved edits: asks once, the answer is null until the reviewer chose", async () => {
  const { q, calls, reply } = setup();
  assert.equal(q.request(), "asking");
  await tick();
  assert.equal(calls.ask, 1);
  assert.equal(q.answer(), null);
  assert.equal(q.request(), "asking"); // a second close while the question is open: no second one
  await tick();
  assert.equal(calls.ask, 1);
  reply("keep");
  await tick();
  assert.equal(q.answer(), "keep");
  assert.equal(q.answer(), null); // said once
  assert.equal(calls.discard, 0);
});

test("discard: the edits are dropped before the window is told to close", async () => {
  const { q, calls, reply } = setup();
  q.request();
  await tick();
  reply("discard");
  await tick();
  assert.equal(calls.discard, 1);
  assert.equal(q.answer(), "discard");
  // Asked again later (the reviewer kept editing, then closed again): a new question.
  assert.equal(q.request(), "asking");
  await tick();
  assert.equal(calls.ask, 2);
});

test("another question already on screen: the window stays, nothing more is asked", async () => {
  const { q, calls } = setup({ busy: true });
  assert.equal(q.request(), "stay");
  await tick();
  assert.equal(calls.ask, 0);
});

test("a question that fails, or a discard that throws, still gives an answer", async () => {
  const failing = windowCloseQuestion({ unsaved: () => true, ask: () => Promise.reject(new Error("x")), discard: () => {} });
  failing.request();
  await tick();
  await tick();
  assert.equal(failing.answer(), "keep");
  const errors = console.error;
  console.error = () => {};
  try {
    const throwing = windowCloseQuestion({ unsaved: () => true, ask: async () => "discard", discard: () => { throw new Error("y"); } });
    throwing.request();
    await tick();
    await tick();
    assert.equal(throwing.answer(), "discard");
  } finally {
    console.error = errors;
  }
});
