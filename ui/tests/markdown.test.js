import { test } from "node:test";
import assert from "node:assert/strict";
import { renderMarkdown, renderInline, escapeHtml } from "../src/markdown.js";

test("headings, lists, emphasis, code and paragraphs", () => {
  const html = renderMarkdown("# Task\n\nLook at **every** slice, *carefully*.\n\n- one\n- `two`\n\n1. first\n2. second\n\n```\n<b>raw</b>\n```");
  assert.equal(html, [
    "<h2>Task</h2>",
    "<p>Look at <strong>every</strong> slice, <em>carefully</em>.</p>",
    "<ul><li>one</li><li><code>two</code></li></ul>",
    "<ol><li>first</li><li>second</li></ol>",
    "<pre><code>&lt;b&gt;raw&lt;/b&gt;</code></pre>",
  ].join("\n"));
});

test("raw HTML is escaped, never passed through", () => {
  const evil = '<script>alert(1)</script><img src=x onerror="alert(2)"><iframe src="https://x">';
  const html = renderMarkdown(evil);
  assert.ok(!/<script|<img|<iframe/i.test(html), html);
  assert.ok(html.includes("&lt;script&gt;"));
});

test("links keep only http(s) and mailto URLs", () => {
  assert.equal(renderInline("[guide](https://example.org/a?b=1&c=2)"),
    '<a href="https://example.org/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer">guide</a>');
  for (const url of ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<script>", "vbscript:x", "//evil.example"]) {
    const html = renderInline(`[click](${url})`);
    assert.ok(!/href/.test(html), `${url} -> ${html}`);
  }
});

test("URLs with balanced parentheses stay whole; a javascript: call leaves no stray text", () => {
  assert.equal(renderInline("[CT](https://en.wikipedia.org/wiki/CT_(imaging))"),
    '<a href="https://en.wikipedia.org/wiki/CT_(imaging)" target="_blank" rel="noopener noreferrer">CT</a>');
  assert.equal(renderInline("[guide](javascript:alert(1))"), "guide");
});

test("attribute breakout through a link URL or label is impossible", () => {
  const html = renderInline('[a" onmouseover="x](https://ok.example/"onmouseover="alert(1))');
  // The quote stays text (&quot;), so no new attribute can start.
  assert.ok(!/onmouseover="/.test(html), html);
  const html2 = renderInline('[<b onclick=x>label</b>](https://ok.example)');
  assert.ok(!/<b /.test(html2), html2);
});

test("placeholder characters in the source cannot forge markup", () => {
  const html = renderInline("\u00010\u0001 and \u00000\u0000 `x`");
  assert.ok(!html.includes("\u0000") && !html.includes("\u0001"));
  assert.equal((html.match(/<code>/g) || []).length, 1);
});

test("block quotes and rules", () => {
  assert.equal(renderMarkdown("> note\n> more\n\n---"), "<blockquote><p>note\nmore</p></blockquote>\n<hr>");
});

test("escapeHtml escapes the five special characters", () => {
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
});

test("empty and missing input give empty output", () => {
  assert.equal(renderMarkdown(""), "");
  assert.equal(renderMarkdown(null), "");
});

test("a paragraph wrapped in the editor flows as one; two trailing spaces or a backslash break the line", () => {
  assert.equal(renderMarkdown("Each case is a CT and its\nautomatic segmentation."),
    "<p>Each case is a CT and its\nautomatic segmentation.</p>");
  assert.equal(renderMarkdown("Address:  \nRoom 4\\\nFloor 2"), "<p>Address:<br>Room 4<br>Floor 2</p>");
  assert.equal(renderMarkdown("  indented\n  lines   "), "<p>indented\nlines</p>");
});
