import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseComment, type ParseResult } from '../../src/commands/parser.js';

// Properties of the comment parser over generated hostile comments (fast-check): it never
// throws, what it returns is well-formed, its time is linear in the comment and its replies are
// bounded whatever the comment holds. The table-driven cases in command-parser.test.ts pin
// exact answers; these look for the inputs nobody thought of.

const targets = ['shop', 'shop-prod', 'payments'];
const names = ['deploy', 'diff', 'rollback', 'sync', 'lock', 'unlock', 'help'];
const runs = { numRuns: 2000 };

/** Pieces comments are made of: commands and near misses, targets, shas, markdown, and the characters parsers trip on. */
const piece = fc.oneof(
  fc.constantFrom(...names.map((n) => `/${n}`), '/deplo', '/Deploy', '/deploy-prod', '/DEPLOY', '//deploy', '/etc/passwd', '/', '@driftless', '@driftless[bot]', '@someone'),
  fc.constantFrom(...targets, 'Shop', 'unknown', '-h', '--help', '-x'),
  fc.stringMatching(/^[0-9a-fA-F]{1,45}$/),
  fc.constantFrom(' ', '  ', '    ', '\t', '\n', '\r\n', '\r', '\u00a0', '\u2003', '\u3000', '\u200b', '\u200e', '\u202e', '\ufeff', '\u0000', '\u2028'),
  fc.constantFrom('> ', '# ', '- ', '`', '```', '<details>', '<!--', '\\', '／', 'ԁeploy', 'ｄｅｐｌｏｙ', '\ud800', '\udfff', '😀'),
  fc.string({ unit: 'binary', maxLength: 12 }),
);
const comment = fc.array(piece, { maxLength: 24 }).map((parts) => parts.join(''));
const anyText = fc.oneof(comment, fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: 'grapheme', maxLength: 200 }));
const options = fc.record({ targets: fc.subarray(targets) });

/** A ParseResult as the type promises it, and nothing a reply could be abused for. */
function wellFormed(result: ParseResult, allowed: readonly string[]): void {
  if (result.kind === 'ignore') return;
  if (result.kind === 'reply') {
    expect(['usage', 'unknown-command', 'bad-argument', 'ambiguous-target', 'unknown-target']).toContain(result.reason);
    expect(result.message.length).toBeGreaterThan(0);
    // what the commenter wrote comes back as bounded inline code, never at length
    expect(result.message.length).toBeLessThan(4000);
    return;
  }
  const { command } = result;
  expect(names).toContain(command.name);
  if (command.target !== undefined) expect(allowed).toContain(command.target);
  if (command.sha !== undefined) expect(command.sha).toMatch(/^[0-9a-f]{7,40}$/);
  if (command.name === 'help' || command.name === 'diff' || command.name === 'sync' || command.name === 'lock' || command.name === 'unlock') expect(command.sha).toBeUndefined();
}

describe('comment parser under generated comments', () => {
  it('never throws, and returns a well-formed command, reply or ignore', () => {
    fc.assert(
      fc.property(anyText, options, (body, opts) => {
        wellFormed(parseComment(body, opts), opts.targets);
      }),
      runs,
    );
  });

  it('reads only the first non-empty line: what follows it never changes the answer', () => {
    fc.assert(
      fc.property(comment, anyText, options, (first, rest, opts) => {
        // JavaScript's \s holds every character the parser counts as a space, so \S means a non-empty line
        fc.pre(/\S/u.test(first) && !/[\r\n]/.test(first));
        expect(parseComment(`${first}\n${rest}`, opts)).toEqual(parseComment(first, opts));
      }),
      runs,
    );
  });

  it('ignores a command inside a quote, a heading, a list item, inline code or an indented code block', () => {
    fc.assert(
      fc.property(comment, fc.constantFrom('> ', '# ', '- ', '`', '    ', '\t\t', 'please '), options, (body, prefix, opts) => {
        expect(parseComment(`${prefix}${body.replace(/^[\s\u00a0\u2003\u3000]*/u, '')}`, opts)).toEqual({ kind: 'ignore' });
      }),
      runs,
    );
  });

  it('stays linear: a 200 KB comment of generated pieces is parsed without backtracking blow-up', () => {
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 8 }), options, (parts, opts) => {
        const line = parts.join('').replace(/[\r\n\u2028]/g, ' ');
        const body = `/deploy ${line.repeat(Math.ceil(200_000 / Math.max(line.length, 1)))}`;
        const started = performance.now();
        wellFormed(parseComment(body, opts), opts.targets);
        // a backtracking pattern takes seconds to minutes on 200 KB; linear parsing takes milliseconds
        expect(performance.now() - started).toBeLessThan(2_000);
      }),
      { numRuns: 100 },
    );
  });

  it('keeps memory bounded over many hostile comments', () => {
    const before = process.memoryUsage().heapUsed;
    fc.assert(
      fc.property(comment, options, (body, opts) => {
        parseComment(body.repeat(50), opts);
      }),
      { numRuns: 3000 },
    );
    // nothing is retained between calls; the margin is garbage not yet collected
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(64 * 1024 * 1024);
  });
});
