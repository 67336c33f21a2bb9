/**
 * Scanning a comment's first line the way GitHub and GitLab render Markdown: which characters
 * are spaces, where an indented code block starts, the command word and its arguments, each
 * bounded so a hostile comment costs no more than its first line.
 */

/** Longest command word looked at; longer words are not attempts at a command. */
const MAX_WORD = 32;
/** Arguments kept for checking; more are only counted. */
const MAX_KEPT_ARGS = 8;

/** Tab, vertical tab, form feed and the Unicode space separators (category Zs, NBSP included). */
function isSpace(ch: string | undefined): boolean {
  if (ch === undefined) return false;
  const c = ch.charCodeAt(0);
  if (c < 0x80) return c === 0x20 || c === 0x09 || c === 0x0b || c === 0x0c;
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x202f || c === 0x205f || c === 0x3000;
}

/** The first line holding anything but whitespace, without its line ending; undefined if none. */
export function firstLine(body: string): string | undefined {
  let start = body.charCodeAt(0) === 0xfeff ? 1 : 0;
  let blank = true;
  for (let i = start; i <= body.length; i++) {
    const c = i < body.length ? body.charCodeAt(i) : 0x0a;
    if (c === 0x0a || c === 0x0d) {
      if (!blank) return body.slice(start, i);
      start = i + 1;
    } else if (blank && !isSpace(body[i])) {
      blank = false;
    }
  }
  return undefined;
}

/**
 * Where the line's text starts after its indentation, or -1 when markdown would render it as an
 * indented code block (4 or more columns of spaces and tabs, a tab reaching the next multiple of 4).
 */
export function leadingIndent(line: string): number {
  let columns = 0;
  let i = 0;
  for (; i < line.length && (line[i] === ' ' || line[i] === '\t'); i++) {
    columns += line[i] === ' ' ? 1 : 4 - (columns % 4);
  }
  return columns >= 4 ? -1 : skipSpaces(line, i);
}

function skipSpaces(line: string, from: number): number {
  let i = from;
  while (i < line.length && isSpace(line[i])) i++;
  return i;
}

/** The run of non-space characters at `from`; `text` is cut at `max` characters, `end` is not. */
function readToken(line: string, from: number, max = 256): { text: string; end: number } {
  let end = from;
  while (end < line.length && !isSpace(line[end])) end++;
  return { text: line.slice(from, Math.min(end, from + max)), end };
}

/** The command word after the `/`; undefined when empty or longer than any attempt at a command. */
export function readWord(line: string, from: number): string | undefined {
  const { text, end } = readToken(line, from, MAX_WORD + 1);
  return text === '' || end - from > MAX_WORD ? undefined : text;
}

/** The words after the command: the first few kept, all counted. */
export function readArgs(line: string, from: number): { kept: string[]; count: number } {
  const kept: string[] = [];
  let count = 0;
  let at = skipSpaces(line, from);
  while (at < line.length) {
    const token = readToken(line, at);
    if (count < MAX_KEPT_ARGS) kept.push(token.text);
    count++;
    at = skipSpaces(line, token.end);
  }
  return { kept, count };
}
