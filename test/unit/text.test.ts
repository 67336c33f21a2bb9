// The shared text helpers of src/text/: suggestions for typos, and Markdown for untrusted text.
import { describe, expect, it } from 'vitest';
import { editDistance } from '../../src/text/edit-distance.js';
import { asciiCode, codeFence, escapeMarkdown, inlineCode } from '../../src/text/markdown.js';

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['deploy', 'deploy', 0],
    ['', 'sync', 4],
    ['deply', 'deploy', 1],
    ['deplyo', 'deploy', 1],
    ['prnue', 'prune', 1],
    ['target', 'targets', 1],
    ['lock', 'unlock', 2],
    ['abc', 'xyz', 3],
  ])('%j to %j is %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });
});

describe('inlineCode', () => {
  it.each([
    ['web', '`web`'],
    ['a`b', '``a`b``'],
    ['`a`', '`` `a` ``'],
    ['two\n  lines', '`two lines`'],
    ['', '` `'],
  ])('%j reads %j', (text, md) => expect(inlineCode(text)).toBe(md));
});

describe('asciiCode', () => {
  it.each([
    ['prod', '`prod`'],
    ['', '(empty)'],
    ['a`b', '`a\\u{0060}b`'],
    ['pr\u043Ed', '`pr\\u{043E}d`'],
    ['x'.repeat(65), `\`${'x'.repeat(64)}…\``],
  ])('%j reads %j', (text, md) => expect(asciiCode(text)).toBe(md));
});

describe('escapeMarkdown', () => {
  it('leaves no HTML, emphasis or mention', () => {
    expect(escapeMarkdown('<b>*hi*</b> @team')).toBe('&lt;b&gt;\\*hi\\*&lt;/b&gt; @\u200bteam');
  });
  it('keeps lines as <br> when asked', () => {
    expect(escapeMarkdown('one\n\ntwo', true)).toBe('one<br>two');
  });
});

describe('codeFence', () => {
  it('is longer than any backtick run in the body', () => {
    expect(codeFence('plain')).toBe('```');
    expect(codeFence('a\n````\nb')).toBe('`````');
  });
});
