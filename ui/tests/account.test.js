import { test } from "node:test";
import assert from "node:assert/strict";

import { PASSWORD_MAX, PASSWORD_MIN, passwordErrorView, passwordFormProblem, passwordLength } from "../src/account.js";

const ok = { current: "old-password", next: "new-password", repeat: "new-password" };

test("a filled-in form with matching new passwords within the server's rules may be sent", () => {
  assert.equal(passwordFormProblem(ok), null);
  const edge = "e".repeat(PASSWORD_MIN);
  assert.equal(passwordFormProblem({ current: "x", next: edge, repeat: edge }), null);
  const longest = "e".repeat(PASSWORD_MAX);
  assert.equal(passwordFormProblem({ current: "x", next: longest, repeat: longest }), null);
});

test("each problem names the input to fix", () => {
  assert.deepEqual(passwordFormProblem({ ...ok, current: "" }), { field: "current", message: "Type your current password." });
  assert.deepEqual(passwordFormProblem({ ...ok, next: "", repeat: "" }), { field: "next", message: "Type a new password." });
  assert.deepEqual(passwordFormProblem({ ...ok, next: "1234567", repeat: "1234567" }),
    { field: "next", message: "The new password is too short (7 characters); use at least 8." });
  const long = "x".repeat(PASSWORD_MAX + 1);
  assert.deepEqual(passwordFormProblem({ ...ok, next: long, repeat: long }),
    { field: "next", message: "The new password is too long (257 characters); use at most 256." });
  assert.deepEqual(passwordFormProblem({ ...ok, repeat: "new-passwore" }),
    { field: "repeat", message: "The two new passwords differ; type the same new password twice." });
});

test("length counts characters as the server does (code points), not UTF-16 units", () => {
  assert.equal(passwordLength("🔒🔒🔒🔒"), 4);
  const four = "🔒🔒🔒🔒"; // 8 UTF-16 units, 4 characters: too short for the server
  assert.equal(passwordFormProblem({ current: "x", next: four, repeat: four }).field, "next");
  assert.equal(passwordFormProblem({ current: "x", next: four + four, repeat: four + four }), null);
});

test("bridge errors become a sentence and the input they concern", () => {
  assert.deepEqual(passwordErrorView({ code: "wrong_password", message: "the current password is wrong; type it again" }),
    { field: "current", message: "The current password is wrong; type it again." });
  assert.deepEqual(passwordErrorView({ code: "password_rules", message: "the new password is too short (7 characters); use at least 8" }),
    { field: "next", message: "The new password is too short (7 characters); use at least 8." });
  const unreachable = "sync server http://127.0.0.1:9 unreachable (ConnectError); check the address and your network, then try again";
  assert.deepEqual(passwordErrorView({ code: "server_unreachable", message: unreachable }),
    { field: null, message: `S${unreachable.slice(1)}.` });
  assert.equal(passwordErrorView({ code: "x", message: "Done already." }).message, "Done already.");
});
