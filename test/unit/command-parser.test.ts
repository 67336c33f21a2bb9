import { describe, expect, it } from 'vitest';
import { helpText, usage } from '../../src/commands/help.js';
import { parseComment, type CommandName, type ParsedCommand, type ParseResult, type ReplyReason } from '../../src/commands/parser.js';

const ONE = ['shop-prod'];
const MANY = ['prod', 'staging', 'dev'];
const SHA40 = 'ABCDEF1234567890abcdef1234567890ABCDEF12';
const MB = 1024 * 1024;

type Want = 'ignore' | ReplyReason | ParsedCommand;
interface Case {
  name: string;
  body: string;
  want: Want;
  targets?: readonly string[];
}

function check(result: ParseResult, want: Want): void {
  if (want === 'ignore') expect(result).toEqual({ kind: 'ignore' });
  else if (typeof want === 'string') expect(result).toMatchObject({ kind: 'reply', reason: want });
  else expect(result).toEqual({ kind: 'command', command: want });
}

const cases: Case[] = [
  // commands and targets
  { name: 'deploy with a target', body: '/deploy prod', want: { name: 'deploy', target: 'prod' } },
  { name: 'deploy with a target and a short sha', body: '/deploy prod abc1234', want: { name: 'deploy', target: 'prod', sha: 'abc1234' } },
  { name: 'a 40-digit sha is lowercased', body: `/deploy prod ${SHA40}`, want: { name: 'deploy', target: 'prod', sha: SHA40.toLowerCase() } },
  { name: 'one target: deploy fills it in', body: '/deploy', targets: ONE, want: { name: 'deploy', target: 'shop-prod' } },
  { name: 'one target: a lone sha is the sha', body: '/deploy ABC1234', targets: ONE, want: { name: 'deploy', target: 'shop-prod', sha: 'abc1234' } },
  { name: 'one target: the target may still be named', body: '/rollback shop-prod abc1234', targets: ONE, want: { name: 'rollback', target: 'shop-prod', sha: 'abc1234' } },
  { name: 'one target: diff fills it in', body: '/diff', targets: ONE, want: { name: 'diff', target: 'shop-prod' } },
  { name: 'several targets: deploy needs one', body: '/deploy', want: 'ambiguous-target' },
  { name: 'several targets: a lone sha still needs a target', body: '/deploy abc1234', want: 'ambiguous-target' },
  { name: 'several targets: rollback needs one', body: '/rollback', want: 'ambiguous-target' },
  { name: 'rollback with a target', body: '/rollback staging', want: { name: 'rollback', target: 'staging' } },
  { name: 'several targets: diff means all', body: '/diff', want: { name: 'diff' } },
  { name: 'several targets: sync means all', body: '/sync', want: { name: 'sync' } },
  { name: 'several targets: lock means all', body: '/lock', want: { name: 'lock' } },
  { name: 'several targets: unlock means all', body: '/unlock', want: { name: 'unlock' } },
  { name: 'unlock one target', body: '/unlock dev', want: { name: 'unlock', target: 'dev' } },
  { name: 'a target named like a sha is a target', body: '/deploy cafe123', targets: ['cafe123', 'prod'], want: { name: 'deploy', target: 'cafe123' } },
  { name: 'help', body: '/help', want: { name: 'help' } },
  { name: 'help ignores its arguments', body: '/help me please', want: { name: 'help' } },
  { name: 'help without targets', body: '/help', targets: [], want: { name: 'help' } },
  { name: 'no targets in the repository', body: '/deploy', targets: [], want: 'unknown-target' },
  { name: 'no targets: diff of all', body: '/diff', targets: [], want: 'unknown-target' },

  // case
  { name: 'command names are case-insensitive', body: '/Deploy prod', want: { name: 'deploy', target: 'prod' } },
  { name: 'uppercase command', body: '/HELP', want: { name: 'help' } },
  { name: 'targets are case-sensitive', body: '/deploy Prod', want: 'unknown-target' },

  // bad arguments
  { name: 'unknown target', body: '/deploy prd', want: 'unknown-target' },
  { name: 'sha too short', body: '/deploy prod abc12', want: 'bad-argument' },
  { name: 'sha too long', body: `/deploy prod ${SHA40}a`, want: 'bad-argument' },
  { name: 'lone sha too long', body: `/deploy ${SHA40}0`, targets: ONE, want: 'bad-argument' },
  { name: 'a branch name is not a sha', body: '/deploy prod main', want: 'bad-argument' },
  { name: 'trailing prose is an extra argument', body: '/deploy prod please', want: 'bad-argument' },
  { name: 'three arguments', body: '/deploy prod abc1234 now', want: 'bad-argument' },
  { name: 'diff takes one target', body: '/diff prod staging', want: 'bad-argument' },
  { name: 'diff takes no sha', body: '/diff abc1234', want: 'bad-argument' },
  { name: 'sha before target', body: '/deploy abc1234 prod', want: 'bad-argument' },
  { name: 'options are refused', body: '/deploy --force prod', want: 'bad-argument' },
  { name: '--help gives the usage', body: '/deploy --help', want: 'usage' },
  { name: '-h gives the usage', body: '/lock prod -h', want: 'usage' },

  // unknown commands: attempts get a reply, anything else is ignored
  { name: 'typo: swapped letters', body: '/deplyo prod', want: 'unknown-command' },
  { name: 'typo: rollbak', body: '/rollbak', want: 'unknown-command' },
  { name: 'typo: dif', body: '/dif', want: 'unknown-command' },
  { name: 'typo: uppercase UNLCOK', body: '/UNLCOK', want: 'unknown-command' },
  { name: 'target glued to the command', body: '/deploy-prod', want: 'unknown-command' },
  { name: 'other slash commands are ignored', body: '/shrug', want: 'ignore' },
  { name: 'GitLab quick action is ignored', body: '/assign @me', want: 'ignore' },
  { name: 'short unrelated word', body: '/me', want: 'ignore' },
  { name: 'path /etc/passwd', body: '/etc/passwd', want: 'ignore' },
  { name: 'path /usr/bin', body: '/usr/bin is missing', want: 'ignore' },
  { name: 'command-like path', body: '/deploy/prod', want: 'ignore' },
  { name: 'file name', body: '/deploy.sh fails', want: 'ignore' },
  { name: 'punctuation glued to the command', body: '/deploy: prod', want: 'ignore' },
  { name: 'double slash', body: '//', want: 'ignore' },
  { name: 'comment-style double slash', body: '// deploy prod', want: 'ignore' },
  { name: 'lone slash', body: '/', want: 'ignore' },
  { name: 'slash then space', body: '/ deploy prod', want: 'ignore' },
  { name: 'URL', body: 'https://example.com/deploy prod', want: 'ignore' },
  { name: 'digits', body: '/123', want: 'ignore' },

  // look-alikes: never a command
  { name: 'fullwidth solidus', body: '\uff0fdeploy prod', want: 'ignore' },
  { name: 'Cyrillic e in deploy', body: '/d\u0435ploy prod', want: 'unknown-command' },
  { name: 'fullwidth letters', body: '/\uff44\uff45\uff50\uff4c\uff4f\uff59 prod', want: 'unknown-command' },
  { name: 'all-Cyrillic word', body: '/\u0434\u0435\u043f\u043b\u043e\u0439 prod', want: 'ignore' },
  { name: 'zero-width space inside the command', body: '/de\u200bploy prod', want: 'unknown-command' },
  { name: 'zero-width space after the command', body: '/deploy\u200b prod', want: 'unknown-command' },
  { name: 'zero-width joiner as separator', body: '/deploy\u200dprod', want: 'ignore' },
  { name: 'zero-width space before the slash', body: '\u200b/deploy prod', want: 'ignore' },
  { name: 'RTL override before the slash', body: '\u202e/deploy prod', want: 'ignore' },
  { name: 'RTL override in the command', body: '/deploy\u202e prod', want: 'unknown-command' },
  { name: 'RTL override in the target', body: '/deploy \u202edorp', want: 'unknown-target' },
  { name: 'zero-width space in the target', body: '/deploy pr\u200bod', want: 'unknown-target' },

  // whitespace and line endings
  { name: 'CRLF line endings', body: '/deploy prod\r\nbecause the hotfix is in\r\n', want: { name: 'deploy', target: 'prod' } },
  { name: 'CRLF blank lines first', body: '\r\n\r\n/lock dev\r\n', want: { name: 'lock', target: 'dev' } },
  { name: 'old Mac CR line endings', body: '/sync prod\rmore text', want: { name: 'sync', target: 'prod' } },
  { name: 'tab between command and target', body: '/deploy\tprod', want: { name: 'deploy', target: 'prod' } },
  { name: 'NBSP between command and target', body: '/deploy\u00a0prod', want: { name: 'deploy', target: 'prod' } },
  { name: 'thin space between command and target', body: '/lock\u2009prod', want: { name: 'lock', target: 'prod' } },
  { name: 'ideographic space between arguments', body: '/deploy\u3000prod\u3000abc1234', want: { name: 'deploy', target: 'prod', sha: 'abc1234' } },
  { name: 'many spaces and trailing whitespace', body: '/deploy    prod  \t ', want: { name: 'deploy', target: 'prod' } },
  { name: 'three leading spaces', body: '   /deploy prod', want: { name: 'deploy', target: 'prod' } },
  { name: 'four leading spaces: indented code block', body: '    /deploy prod', want: 'ignore' },
  { name: 'leading tab: indented code block', body: '\t/deploy prod', want: 'ignore' },
  { name: 'leading NBSP is trimmed', body: '\u00a0/deploy prod', want: { name: 'deploy', target: 'prod' } },
  { name: 'UTF-8 BOM', body: '\ufeff/deploy prod', want: { name: 'deploy', target: 'prod' } },
  { name: 'blank lines of whitespace first', body: '\n  \n\t\n\u00a0\n/diff', want: { name: 'diff' } },
  { name: 'empty body', body: '', want: 'ignore' },
  { name: 'only whitespace', body: ' \t\r\n \u00a0\n', want: 'ignore' },

  // markdown: the command must start the first line
  { name: 'markdown heading', body: '# /deploy prod', want: 'ignore' },
  { name: 'quoted reply', body: '> /deploy prod\n\nI would not do that yet', want: 'ignore' },
  { name: 'quoted reply then a real command', body: '> /deploy prod\n/deploy staging', want: 'ignore' },
  { name: 'fenced code block', body: '```\n/deploy prod\n```', want: 'ignore' },
  { name: 'tilde fence', body: '~~~sh\n/deploy prod\n~~~', want: 'ignore' },
  { name: 'inline code', body: '`/deploy prod`', want: 'ignore' },
  { name: 'HTML comment', body: '<!-- /deploy prod -->', want: 'ignore' },
  { name: 'details block', body: '<details>\n<summary>how to deploy</summary>\n\n/deploy prod\n</details>', want: 'ignore' },
  { name: 'list item', body: '- /deploy prod', want: 'ignore' },
  { name: 'bold', body: '**/deploy prod**', want: 'ignore' },
  { name: 'escaped slash', body: '\\/deploy prod', want: 'ignore' },
  { name: 'mentioned in prose', body: 'please /deploy prod', want: 'ignore' },
  { name: 'command on the second line', body: 'LGTM\n/deploy prod', want: 'ignore' },
  { name: 'emoji first', body: '\u{1f680} /deploy prod', want: 'ignore' },
  { name: 'emoji as an extra argument', body: '/deploy prod \u{1f680}', want: 'bad-argument' },
  { name: 'emoji as the target', body: '/deploy \u{1f680}', want: 'unknown-target' },
  { name: 'later lines are free text', body: '/rollback prod abc1234\n/deploy staging\n```\nlogs\n```', want: { name: 'rollback', target: 'prod', sha: 'abc1234' } },

  // mentions
  { name: 'a mention before the command', body: '@driftless /deploy prod', want: 'ignore' },

  // size
  { name: '1 MB comment after the command', body: `/deploy prod\n${'x'.repeat(MB)}`, want: { name: 'deploy', target: 'prod' } },
  { name: '1 MB first line of prose', body: `${'a'.repeat(MB)}\n/deploy prod`, want: 'ignore' },
  { name: '1 MB command word', body: `/${'a'.repeat(MB)}`, want: 'ignore' },
  { name: '1 MB target', body: `/deploy ${'x'.repeat(MB)}`, want: 'unknown-target' },
  { name: '1 MB hex as the only argument', body: `/deploy ${'a'.repeat(MB)}`, targets: ONE, want: 'bad-argument' },
  { name: '1 MB hex argument', body: `/deploy prod ${'a'.repeat(MB)}`, want: 'bad-argument' },
  { name: '1 MB of arguments', body: `/deploy prod ${'a '.repeat(MB / 2)}`, want: 'bad-argument' },
  { name: '1 MB of blank lines first', body: `${' \n'.repeat(MB / 2)}/deploy prod`, want: { name: 'deploy', target: 'prod' } },
  { name: '1 MB of backticks', body: '`'.repeat(MB), want: 'ignore' },
  { name: '10,000 lines after the command', body: `/unlock prod${'\n/lock prod'.repeat(10_000)}`, want: { name: 'unlock', target: 'prod' } },
  { name: '10,000 blank lines first', body: `${'\r\n'.repeat(10_000)}/diff dev`, want: { name: 'diff', target: 'dev' } },
];

describe('parseComment', () => {
  it.each(cases)('$name', ({ body, want, targets }) => {
    check(parseComment(body, { targets: targets ?? MANY }), want);
  });

  it('never accepts a look-alike of any command', () => {
    const homoglyphs: Record<string, string> = { a: '\u0430', c: '\u0441', e: '\u0435', o: '\u043e', p: '\u0440', y: '\u0443', l: '\u04cf', i: '\u0456' };
    const names: CommandName[] = ['deploy', 'diff', 'rollback', 'sync', 'lock', 'unlock', 'help'];
    for (const name of names) {
      for (let i = 0; i < name.length; i++) {
        const glyph = homoglyphs[name[i] ?? ''];
        const variants = [glyph, '\u200b', '\u00ad', '\u2060'].filter((v) => v !== undefined);
        for (const v of variants) {
          const body = `/${name.slice(0, i)}${v}${name.slice(i + (v === glyph ? 1 : 0))} prod`;
          expect(parseComment(body, { targets: MANY }).kind, JSON.stringify(body)).not.toBe('command');
        }
      }
    }
  });
});

describe('reply messages', () => {
  const message = (body: string, targets: readonly string[] = MANY): string => {
    const result = parseComment(body, { targets });
    if (result.kind !== 'reply') throw new Error(`expected a reply, got ${JSON.stringify(result)}`);
    return result.message;
  };

  it('suggests the command and lists every command', () => {
    const text = message('/deplyo prod');
    expect(text).toContain('Did you mean `/deploy [target] [sha]`?');
    for (const name of ['deploy', 'diff', 'rollback', 'sync', 'lock', 'unlock', 'help'] as const) expect(text).toContain(usage(name));
  });

  it('names the invisible or look-alike characters', () => {
    expect(message('/d\u0435ploy prod')).toContain('U+0435');
    expect(message('/deploy\u200b prod')).toContain('U+200B');
  });

  it('lists the targets when one is needed', () => {
    expect(message('/deploy')).toContain('`prod`, `staging`, `dev`');
  });

  it('points out the case of a target', () => {
    expect(message('/deploy Prod')).toContain('case-sensitive: did you mean `prod`?');
  });

  it('says the target comes first', () => {
    expect(message('/deploy abc1234 prod')).toContain('`/deploy prod abc1234`');
  });

  it('says how many arguments are too many', () => {
    expect(message('/deploy prod abc1234 now')).toContain('at most 2 arguments, got 3: remove `now`');
  });

  it('escapes what it echoes: no backtick breakout, no hidden characters, bounded length', () => {
    const text = message('/deploy a`@team`\u202eb');
    expect(text).toContain('`a\\u{0060}@team\\u{0060}\\u{202E}b`');
    expect(text).not.toContain('\u202e');
    expect(message(`/deploy ${'x'.repeat(MB)}`).length).toBeLessThan(1000);
  });

  it('gives the usage of a command', () => {
    expect(message('/rollback --help')).toContain('Usage: `/rollback [target] [sha]`');
  });
});

describe('help', () => {
  it('lists the commands, their arguments and the targets', () => {
    const text = helpText(MANY);
    expect(text).toContain('`/deploy [target] [sha]`');
    expect(text).toContain('`/diff [target]`');
    expect(text).toContain('`/help`');
    expect(text).toContain('Targets: `prod`, `staging`, `dev`');
  });

  it('says the one target may be left out', () => {
    expect(helpText(ONE)).toContain('one target, `shop-prod`, so `target` may be left out');
  });

  it('cuts a long target list', () => {
    const many = Array.from({ length: 40 }, (_, i) => `t${i}`);
    expect(helpText(many)).toContain('and 10 more');
  });

  it.each([
    ['deploy', '`/deploy [target] [sha]`'],
    ['rollback', '`/rollback [target] [sha]`'],
    ['sync', '`/sync [target]`'],
    ['help', '`/help`'],
  ] as const)('usage of %s', (name, text) => {
    expect(usage(name)).toBe(text);
  });
});
