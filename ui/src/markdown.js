// A small, safe Markdown renderer for project instructions (written by owners, read by reviewers).
//
// Safety by construction: every piece of source text is HTML-escaped before any tag is added,
// and the only tags emitted are the fixed ones below. Links keep only http(s) and mailto URLs
// (no `javascript:`, `data:`, ...); images are not rendered (an offline app must not fetch
// remote content, and instructions must not carry tracking pixels).
// Supported: # headings, paragraphs (lines joined; two trailing spaces or `\` break a line),
// - / * / 1. lists (one level), > quotes, ``` code blocks, `code`, **bold**, *italic* / _italic_,
// [text](url), --- rules.

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

function safeUrl(raw) {
  const url = raw.trim();
  if (/^(https?:\/\/|mailto:)/i.test(url) && !/[\s<>"']/.test(url)) return url;
  return null;
}

/** Inline markup on one already-split line of raw text. */
export function renderInline(raw) {
  // Code spans first, kept out of every later rule by placeholders.
  const codes = [];
  // Placeholder characters in the source itself would let it forge a link or code span.
  let text = String(raw).replace(/[\u0000\u0001]/g, "").replace(/`([^`]+)`/g, (_, code) => {
    codes.push(`<code>${escapeHtml(code)}</code>`);
    return `\u0000${codes.length - 1}\u0000`;
  });
  const links = [];
  // URLs may hold one level of balanced parentheses (Wikipedia-style links).
  text = text.replace(/\[([^\]]+)\]\(((?:[^()\s]|\([^()\s]*\))+)\)/g, (whole, label, url) => {
    const safe = safeUrl(url);
    const html = safe
      ? `<a href="${escapeHtml(safe)}" target="_blank" rel="noopener noreferrer">${escapeHtml(label)}</a>`
      : escapeHtml(label);
    links.push(html);
    return `\u0001${links.length - 1}\u0001`;
  });
  text = escapeHtml(text)
    .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
    .replace(/(^|[^*])\*([^*\s][^*]*)\*/g, "$1<em>$2</em>")
    .replace(/(^|[\s(])_([^_\s][^_]*)_(?=$|[\s).,;:!?])/g, "$1<em>$2</em>");
  return text
    .replace(/\u0001(\d+)\u0001/g, (_, i) => links[Number(i)])
    .replace(/\u0000(\d+)\u0000/g, (_, i) => codes[Number(i)]);
}

/**
 * The lines of one paragraph, as CommonMark joins them: a line break in the source is a space
 * (text typed or wrapped in an editor flows as one paragraph); a line ending in two spaces or
 * a backslash breaks the line (`<br>`).
 */
function paragraphLines(lines) {
  return lines.map((line, i) => {
    if (i === lines.length - 1) return renderInline(line.trimEnd());
    const hard = / {2,}$/.test(line) || /\\$/.test(line);
    const text = line.replace(/(?: {2,}|\\)$/, "").trimEnd();
    return renderInline(text) + (hard ? "<br>" : "\n");
  }).join("");
}

/** Markdown source -> an HTML string that is safe to assign to innerHTML. */
export function renderMarkdown(source) {
  const lines = String(source ?? "").replace(/\r\n?/g, "\n").split("\n");
  const out = [];
  let paragraph = [];
  let list = null; // {tag, items}
  let quote = [];
  const flushParagraph = () => {
    if (paragraph.length) out.push(`<p>${paragraphLines(paragraph)}</p>`);
    paragraph = [];
  };
  const flushList = () => {
    if (list) out.push(`<${list.tag}>${list.items.map((i) => `<li>${renderInline(i)}</li>`).join("")}</${list.tag}>`);
    list = null;
  };
  const flushQuote = () => {
    if (quote.length) out.push(`<blockquote>${renderMarkdown(quote.join("\n"))}</blockquote>`);
    quote = [];
  };
  const flushAll = () => { flushParagraph(); flushList(); flushQuote(); };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (/^```/.test(line)) {
      flushAll();
      const code = [];
      i++;
      while (i < lines.length && !/^```/.test(lines[i])) code.push(lines[i++]);
      out.push(`<pre><code>${escapeHtml(code.join("\n"))}</code></pre>`);
      continue;
    }
    if (/^\s*>/.test(line)) {
      flushParagraph(); flushList();
      quote.push(line.replace(/^\s*>\s?/, ""));
      continue;
    }
    flushQuote();
    if (/^\s*$/.test(line)) { flushParagraph(); flushList(); continue; }
    const heading = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      flushAll();
      const level = Math.min(6, heading[1].length + 1); // the page title is the h1
      out.push(`<h${level}>${renderInline(heading[2])}</h${level}>`);
      continue;
    }
    if (/^\s*(-{3,}|\*{3,}|_{3,})\s*$/.test(line)) { flushAll(); out.push("<hr>"); continue; }
    const bullet = /^\s*[-*+]\s+(.*)$/.exec(line);
    const numbered = /^\s*\d+[.)]\s+(.*)$/.exec(line);
    if (bullet || numbered) {
      flushParagraph();
      const tag = bullet ? "ul" : "ol";
      if (list && list.tag !== tag) flushList();
      if (!list) list = { tag, items: [] };
      list.items.push((bullet || numbered)[1]);
      continue;
    }
    if (list && /^\s{2,}\S/.test(line)) { // continuation of a list item
      list.items[list.items.length - 1] += ` ${line.trim()}`;
      continue;
    }
    flushList();
    paragraph.push(line.trimStart());
  }
  flushAll();
  return out.join("\n");
}
