import { test } from "node:test";
import assert from "node:assert/strict";

import { registerErrorView, registerFormProblem } from "../src/register.js";

const ok = {
  server: "https://review.example.org", code: "Abc_def-123", username: "ann.lee@site",
  displayName: "", password: "a good password", repeat: "a good password",
};

test("a form within the server's rules may be sent; spaces around code and names do not count", () => {
  assert.equal(registerFormProblem(ok), null);
  assert.equal(registerFormProblem({ ...ok, code: "  Abc_def-123 ", username: " ann " }), null);
  assert.equal(registerFormProblem({ ...ok, code: "a".repeat(64), username: "a".repeat(64), displayName: "N".repeat(200) }), null);
});

test("each problem names the input to fix", () => {
  const field = (values) => registerFormProblem({ ...ok, ...values })?.field;
  assert.equal(field({ server: " " }), "server");
  assert.deepEqual(registerFormProblem({ ...ok, code: "" }), { field: "code", message: "Type the invitation code the project owner sent you." });
  for (const code of ["short", "a".repeat(65), "has space1", "ünïcode-code"]) {
    assert.deepEqual(registerFormProblem({ ...ok, code }),
      { field: "code", message: "An invitation code is 8 to 64 letters, digits, - or _; check the code you were sent." }, code);
  }
  for (const username of ["a", "-ann", "ann lee", "a".repeat(65), "änn"]) assert.equal(field({ username }), "username", username);
  assert.equal(registerFormProblem({ ...ok, username: "ann lee" }).message,
    "The user name “ann lee” is not allowed; use 2 to 64 letters, digits and _ . @ -, starting with a letter or digit.");
  assert.equal(field({ displayName: "N".repeat(201) }), "displayName");
  assert.deepEqual(registerFormProblem({ ...ok, password: "1234567", repeat: "1234567" }),
    { field: "password", message: "The password is too short (7 characters); use at least 8." });
  assert.equal(field({ password: "x".repeat(257), repeat: "x".repeat(257) }), "password");
  assert.deepEqual(registerFormProblem({ ...ok, repeat: "a good passwore" }),
    { field: "repeat", message: "The two passwords differ; type the same password twice." });
});

test("the bridge's errors point at the input they concern", () => {
  const view = (code, message = "x") => registerErrorView({ code, message });
  assert.deepEqual(view("gone", "this invitation code was already used; ask the project owner for a new one"),
    { field: "code", message: "This invitation code was already used; ask the project owner for a new one." });
  assert.equal(view("not_found").field, "code");
  assert.equal(view("username_taken").field, "username");
  assert.equal(view("password_rules").field, "password");
  assert.equal(view("server_unreachable").field, "server");
  assert.equal(view("internal").field, null);
});
