// Markdown for untrusted text (object names, messages, comment bodies): whatever it holds, it
// stays inert and on its line.

/** Whitespace and control characters (newlines included) become one space: user text stays on its line. */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\s\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
}

const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/**
 * User-controlled text as inert inline markdown: no HTML, links, emphasis, code, math, table
 * cells or mentions. `keepLines` turns newlines into `<br>` instead of spaces.
 */
export function escapeMarkdown(text: string, keepLines = false): string {
  const escape = (line: string) =>
    oneLine(line)
      .replace(/[&<>]/g, (c) => entities[c]!)
      .replace(/[\\`*_[\]|~$#]/g, '\\$&')
      // a zero-width space after @ keeps `@user` and `@org/team` from notifying anyone
      .replace(/@(?=[\w-])/g, '@\u200b')
      .replace(/^([-+=])/, '\\$1')
      .replace(/^(\d+)([.)])/, '$1\\$2');
  if (!keepLines) return escape(text);
  return text
    .split(/\r\n?|\n/)
    .map(escape)
    .filter(Boolean)
    .join('<br>');
}

/** One line of text between enough backticks that none inside can close the span. */
function codeSpan(line: string): string {
  let longest = 0;
  for (const run of line.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  const ticks = '`'.repeat(longest + 1);
  const pad = line.startsWith('`') || line.endsWith('`') ? ' ' : '';
  return `${ticks}${pad}${line}${pad}${ticks}`;
}

/** Text as inline code, as it reads: whitespace runs and newlines become one space, backticks inside cannot close it. */
export function inlineCode(text: string): string {
  return codeSpan(oneLine(text) || ' ');
}

/** Most characters asciiCode shows; longer text ends in `…`. */
const ASCII_CODE_MAX_CHARS = 64;

/**
 * Text as inline code that cannot hide anything: at most 64 characters, and every character
 * outside printable ASCII, and the backtick, as `\u{…}`; `(empty)` for the empty string. For
 * replies that quote what a user typed, where a look-alike or invisible character matters.
 */
export function asciiCode(text: string): string {
  if (text === '') return '(empty)';
  const chars = Array.from(text.length > 256 ? text.slice(0, 256) : text);
  const cut = chars.length > ASCII_CODE_MAX_CHARS;
  let out = '';
  for (const ch of cut ? chars.slice(0, ASCII_CODE_MAX_CHARS) : chars) {
    const cp = ch.codePointAt(0) ?? 0;
    out += cp >= 0x20 && cp <= 0x7e && ch !== '`' ? ch : `\\u{${cp.toString(16).toUpperCase().padStart(4, '0')}}`;
  }
  return codeSpan(`${out}${cut ? '…' : ''}`);
}

/** A code fence longer than any backtick run in the body, so the body cannot close it. */
export function codeFence(body: string): string {
  let longest = 2;
  for (const run of body.matchAll(/`{3,}/g)) longest = Math.max(longest, run[0].length);
  return '`'.repeat(longest + 1);
}
