/**
 * The comment-command parser (after Atlantis' `comment_parser.go`): a pure function from a comment
 * body to a command, a reply to post back (a user's mistake is a reply, not an exception) or ignore.
 *
 * The rules, in order:
 * 1. Only the first non-empty line counts. A leading UTF-8 BOM is dropped; a line is empty when it
 *    holds only whitespace (tab, vertical tab, form feed and the Unicode space separators, NBSP
 *    included); lines end at LF, CRLF or CR. Later lines are free text (a reason, a link, …).
 * 2. The line is read as markdown would render it: indented by 4 or more columns of spaces/tabs it
 *    is an indented code block and is ignored; shallower indentation and leading Unicode spaces are
 *    trimmed. Anything else before the `/` (`>` quote, `#` heading, `` ` `` code, ```` ``` ```` fence,
 *    `<details>`, `<!--`, `-` list, an `@` mention, a word of prose) means the comment merely
 *    mentions a command: ignore.
 * 3. The command word is everything from after the `/` to the first whitespace. It must be a plain
 *    ASCII word (`[A-Za-z][A-Za-z0-9_-]*`, at most 32 characters) and is case-insensitive:
 *    - a known command → go on with its arguments;
 *    - an unknown word close to a command (edit distance 1 for 4-letter commands, 2 for longer
 *      ones, or a command glued to more by `-`/`_` such as `/deploy-prod`) → reply unknown-command;
 *    - any other word (`/shrug`, `/assign`, `/me`) → ignore: other tools' slash commands and prose.
 *    A word holding any other ASCII character (`/etc/passwd`, `/usr/bin`, `//`, `/deploy.sh`,
 *    `/deploy:`, a URL path) is ignored. A word holding non-ASCII characters (Cyrillic look-alikes,
 *    fullwidth letters, zero-width or bidi control characters) is never a command: it gets an
 *    unknown-command reply naming the odd characters when, with them dropped (after NFKC), it reads
 *    as a command or a near miss, and is ignored otherwise. A line starting with a look-alike slash
 *    (`／deploy`) is ignored by rule 2.
 * 4. Arguments are separated by whitespace (NBSP and other Unicode spaces included, zero-width
 *    characters not). Every word after the command counts: `/deploy prod please` is bad-argument
 *    (too many arguments), so a typo'd sha is never dropped silently. `-h`/`--help` replies with the
 *    command's usage; other `-options` are bad-argument. `/help` ignores its arguments.
 * 5. Targets are case-sensitive and must be targets of this repository (else unknown-target).
 *    With exactly one target, an omitted target is filled in. With several, `/deploy` and
 *    `/rollback` need one (else ambiguous-target); `/diff`, `/sync`, `/lock` and `/unlock` without
 *    one mean every target of the repository and leave `target` undefined. A repository without
 *    targets gets unknown-target for everything but `/help`.
 * 6. `sha` (deploy, rollback) is 7 to 40 hex digits, returned lowercased; else bad-argument. A
 *    single argument of `/deploy` or `/rollback` that is not a target but is a sha is the sha
 *    (the target is then filled in or ambiguous as above); a target name always wins over a sha.
 *
 * Linear time in the body's length whatever it holds: the body is scanned once, character by
 * character, up to the end of its first non-empty line; only bounded-length words meet a regex.
 */
import type { CommandName as ConfigCommandName } from '../config/schema.js';
import type { CommandName } from '../model/command.js';
import { editDistance } from '../text/edit-distance.js';
import { asciiCode } from '../text/markdown.js';
import { commandList, targetList, usage } from './help.js';
import { firstLine, leadingIndent, readArgs, readWord } from './comment-scan.js';

export type { CommandName };

// Every command with a per-target permission level in the config is a comment command and vice
// versa; `help` needs no permission. Fails to compile when the two lists drift apart.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _sameAsConfig: Same<Exclude<CommandName, 'help'>, ConfigCommandName> = true;

export interface ParsedCommand {
  name: CommandName;
  /** Absent for `/help`, and for `/diff`, `/sync`, `/lock`, `/unlock` meaning every target. */
  target?: string;
  /** 7 to 40 hex digits, lowercased. */
  sha?: string;
}

export type ReplyReason = 'usage' | 'unknown-command' | 'bad-argument' | 'ambiguous-target' | 'unknown-target';

export type ParseResult =
  | { kind: 'command'; command: ParsedCommand }
  /** `message` is markdown to post back: what is wrong and the usage. */
  | { kind: 'reply'; reason: ReplyReason; message: string }
  | { kind: 'ignore' };

export interface ParseOptions {
  /** The names of the targets of the repository the comment was made in. */
  targets: readonly string[];
}

interface Shape {
  /** Whether the second argument is a sha. */
  sha: boolean;
  /** Whether an omitted target, with several targets, means every target (else it is required). */
  all: boolean;
}

const SHAPES: Record<Exclude<CommandName, 'help'>, Shape> = {
  deploy: { sha: true, all: false },
  rollback: { sha: true, all: false },
  diff: { sha: false, all: true },
  sync: { sha: false, all: true },
  lock: { sha: false, all: true },
  unlock: { sha: false, all: true },
};

const NAMES: readonly CommandName[] = ['deploy', 'diff', 'rollback', 'sync', 'lock', 'unlock', 'help'];


const WORD = /^[A-Za-z][A-Za-z0-9_-]*$/;
const SHA = /^[0-9a-fA-F]{7,40}$/;
const HEX = /^[0-9a-fA-F]+$/;

const ignore: ParseResult = { kind: 'ignore' };
const reply = (reason: ReplyReason, message: string): ParseResult => ({ kind: 'reply', reason, message });

export function parseComment(body: string, options: ParseOptions): ParseResult {
  const line = firstLine(body);
  if (line === undefined) return ignore;
  const at = leadingIndent(line);
  if (at < 0) return ignore;

  if (line[at] !== '/') return ignore;

  const word = readWord(line, at + 1);
  if (word === undefined) return ignore;
  const name = NAMES.find((n) => n === word.toLowerCase());
  if (!name) return unknownWord(word);

  const args = readArgs(line, word.length + at + 1);
  if (name === 'help') return { kind: 'command', command: { name } };
  return parseArgs(name, args, options.targets);
}

// ---------------------------------------------------------------------------------------------
// Unknown command words

function unknownWord(word: string): ParseResult {
  const lower = word.toLowerCase();
  if (WORD.test(word)) {
    const guess = nearestCommand(lower);
    return guess ? unknownCommand(`\`/${word}\` is not a command.`, guess) : ignore;
  }
  // Any other ASCII character (`/`, `.`, `:`, punctuation) makes it a path, a URL or prose.
  if (/[^\w\-\u0080-\uffff]/.test(word)) return ignore;
  const skeleton = word
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '');
  const guess = skeleton && WORD.test(skeleton) ? nearestCommand(skeleton) : undefined;
  if (!guess) return ignore;
  const odd = Array.from(new Set(Array.from(word).filter((ch) => (ch.codePointAt(0) ?? 0) > 0x7f)))
    .slice(0, 5)
    .map((ch) => `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`)
    .join(', ');
  return unknownCommand(
    `${asciiCode(`/${word}`)} is not a command: it holds characters that only look like letters or are invisible (${odd}). Type the command in plain ASCII.`,
    guess,
  );
}

function unknownCommand(what: string, guess: CommandName): ParseResult {
  return reply('unknown-command', `${what} Did you mean ${usage(guess)}?\n\nCommands:\n${commandList()}`);
}

/** The command `word` (lowercase) is probably an attempt at, if any. */
function nearestCommand(word: string): CommandName | undefined {
  for (const name of NAMES) {
    if (word.startsWith(`${name}-`) || word.startsWith(`${name}_`)) return name;
  }
  let best: CommandName | undefined;
  let bestDistance = Infinity;
  for (const name of NAMES) {
    const d = editDistance(word, name);
    if (d <= (name.length <= 4 ? 1 : 2) && d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// Arguments

function parseArgs(name: Exclude<CommandName, 'help'>, args: { kept: string[]; count: number }, targets: readonly string[]): ParseResult {
  const shape = SHAPES[name];
  const use = `Usage: ${usage(name)}`;
  const bad = (what: string) => reply('bad-argument', `${what}\n\n${use}\n\nTargets: ${targetList(targets)}`);

  if (args.kept.some((a) => a === '-h' || a === '--help')) return reply('usage', `${use}\n\nTargets: ${targetList(targets)}`);
  const option = args.kept.find((a) => a.startsWith('-'));
  if (option !== undefined) return bad(`\`/${name}\` takes no options such as ${asciiCode(option)}.`);
  const max = shape.sha ? 2 : 1;
  if (args.count > max) {
    const extra = args.kept.slice(max);
    const shown = extra.slice(0, 3).map(asciiCode).join(' ') + (args.count - max > 3 ? ' …' : '');
    return bad(`\`/${name}\` takes at most ${max} argument${max === 1 ? '' : 's'}, got ${args.count}: remove ${shown}.`);
  }
  if (targets.length === 0) return reply('unknown-target', `This repository has no targets, so \`/${name}\` has nothing to act on.`);

  const [first, second] = args.kept;
  const only = targets.length === 1 ? targets[0] : undefined;
  const isTarget = (t: string | undefined) => t !== undefined && targets.includes(t);

  if (first === undefined) {
    if (only !== undefined) return command(name, only);
    if (shape.all) return command(name);
    return reply(
      'ambiguous-target',
      `\`/${name}\` needs a target: this repository has several.\n\n${use}\n\nTargets: ${targetList(targets)}`,
    );
  }

  if (!isTarget(first)) {
    if (second !== undefined) {
      return looksLikeSha(first) && isTarget(second)
        ? bad(`The target comes first: \`/${name} ${second} ${first}\`.`)
        : unknownTarget(name, first, targets);
    }
    if (looksLikeSha(first)) {
      if (!shape.sha) return bad(`\`/${name}\` takes a target, not a commit: ${asciiCode(first)}.`);
      if (!SHA.test(first)) return bad(badSha(first));
      if (only !== undefined) return command(name, only, first.toLowerCase());
      return reply(
        'ambiguous-target',
        `\`/${name}\` needs a target before the commit: this repository has several.\n\n${use}\n\nTargets: ${targetList(targets)}`,
      );
    }
    return unknownTarget(name, first, targets);
  }

  if (second === undefined) return command(name, first);
  if (!SHA.test(second)) return bad(badSha(second));
  return command(name, first, second.toLowerCase());
}

function command(name: CommandName, target?: string, sha?: string): ParseResult {
  return { kind: 'command', command: { name, ...(target !== undefined && { target }), ...(sha !== undefined && { sha }) } };
}

/** Hex of at least 7 digits: a commit id, or a mistyped one. */
function looksLikeSha(word: string): boolean {
  return word.length >= 7 && word.length <= 256 && HEX.test(word);
}

function badSha(word: string): string {
  return `${asciiCode(word)} is not a commit: expected a sha of 7 to 40 hex digits (branch and tag names are not accepted).`;
}

function unknownTarget(name: CommandName, target: string, targets: readonly string[]): ParseResult {
  let hint = '';
  if (target.length <= 64) {
    const sameCase = targets.find((t) => t.toLowerCase() === target.toLowerCase());
    const near = sameCase ?? targets.find((t) => editDistance(target, t) <= 2);
    if (sameCase) hint = ` Target names are case-sensitive: did you mean ${asciiCode(sameCase)}?`;
    else if (near) hint = ` Did you mean ${asciiCode(near)}?`;
  }
  return reply(
    'unknown-target',
    `${asciiCode(target)} is not a target of this repository.${hint}\n\nUsage: ${usage(name)}\n\nTargets: ${targetList(targets)}`,
  );
}
