import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { authorize, effectOf, effectRules, type Effect, type PullFacts, type PullState } from '../../src/commands/authorize.js';
import type { CommandName } from '../../src/commands/parser.js';
import { parseConfig } from '../../src/config/load.js';
import type { PermissionLevel, TargetConfig } from '../../src/config/schema.js';

const config = parseConfig(
  `providers: { github: { webhookSecret: s } }
clusters: { c: { kubeconfig: /dev/null } }
targets:
  - { name: shop, repo: "github:acme/shop", cluster: c, namespace: shop }
  - { name: preview, repo: "github:acme/shop", cluster: c, namespace: preview, branchDeploys: true }
  - { name: strict, repo: "github:acme/shop", cluster: c, namespace: strict, allowUsers: [alice], allowForks: true, commands: { deploy: admin } }
`,
  'authorize.yaml',
  {},
);
const [shop, preview, strict] = config.targets as [TargetConfig, TargetConfig, TargetConfig];
type Level = PermissionLevel | 'none';
const levels: Level[] = ['none', 'read', 'triage', 'write', 'maintain', 'admin'];
const states: PullState[] = ['open', 'closed', 'merged'];
const openIntoMain: PullFacts = { state: 'open', fork: false, base: { ref: 'main' } };

/** One row of the README's command table, read as data. */
interface Row {
  text: string;
  command: CommandName;
  revision?: 'head' | 'earlier-deploy';
  effect: Effect;
  states: PullState[];
  intoTargetBranch: boolean;
  branchDeploys: boolean;
  permission?: string;
}

/** The table in README.md's "Pull request workflow": the written rules this file checks the code against. */
function readmeTable(): Row[] {
  const readme = readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Pull request workflow'));
  const lines = section.split('\n');
  const header = lines.findIndex((l) => l.startsWith('| command | effect |'));
  expect(header, 'the command table in the README').toBeGreaterThan(0);
  const rows: Row[] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    const [command, effect, acts, into, needs, permission] = line.split('|').slice(1, -1).map((c) => c.trim()) as [string, string, string, string, string, string];
    rows.push({
      text: command,
      command: /^`\/(\w+)/.exec(command)![1] as CommandName,
      revision: /deployed before/.test(command) ? 'earlier-deploy' : /head/.test(command) ? 'head' : undefined,
      effect: effect.slice(0, effect.indexOf(':')).replace(' ', '-') as Effect,
      states: acts.split(', ') as PullState[],
      intoTargetBranch: into === "the target's branch",
      branchDeploys: needs.includes('branchDeploys: true'),
      permission: /^`(\w+)`/.exec(permission)?.[1],
    });
  }
  return rows;
}
const rows = readmeTable();

describe('the README table is what the code enforces', () => {
  it('names every effect, and every command', () => {
    expect(new Set(rows.map((r) => r.effect))).toEqual(new Set(Object.keys(effectRules)));
    expect(new Set(rows.map((r) => r.command))).toEqual(new Set(['help', 'diff', 'deploy', 'rollback', 'sync', 'lock', 'unlock']));
  });

  it.each(rows)('$text is $effect, with the rule the table gives', (row) => {
    expect(effectOf(row.command, row.revision)).toBe(row.effect);
    const rule = effectRules[row.effect];
    expect({ states: [...rule.states], intoTargetBranch: rule.intoTargetBranch, branchDeploys: rule.branchDeploys, permission: rule.permission }).toEqual({
      states: row.states,
      intoTargetBranch: row.intoTargetBranch,
      branchDeploys: row.branchDeploys,
      permission: row.permission,
    });
  });
});

describe('authorization matrix: every row of the table × pull request state × base branch × branchDeploys', () => {
  const cases = rows.flatMap((row) =>
    states.flatMap((state) =>
      ['main', 'develop'].flatMap((base) =>
        [shop, preview].map((target) => ({
          row: row.text,
          command: row.command,
          effect: row.effect,
          state,
          base,
          target: target.name,
          allowed: row.states.includes(state) && (!row.intoTargetBranch || base === target.branch) && (!row.branchDeploys || target.branchDeploys),
          why: !row.states.includes(state) && (!row.intoTargetBranch || base === target.branch) ? /acts on open pull requests only/ : base !== target.branch && row.intoTargetBranch ? /acts on it only from pull requests into `main`, and this one is into `develop`/ : /branchDeploys: false/,
        })),
      ),
    ),
  );

  it.each(cases)('$row on a $state pull request into $base, target $target → allowed: $allowed', ({ command, effect, state, base, target, allowed, why }) => {
    const result = authorize({ command, effect, target: target === 'shop' ? shop : preview, user: 'boss', permission: 'admin', pr: { state, fork: false, base: { ref: base } } });
    if (allowed) expect(result).toEqual({ allowed: true });
    else expect(result).toEqual({ allowed: false, reason: expect.stringMatching(why) });
  });
});

describe('the reported faults', () => {
  it('/deploy on a closed, unmerged pull request does not deploy its head (branchDeploys: false, nor true)', () => {
    for (const target of [shop, preview]) {
      const result = authorize({ command: 'deploy', effect: effectOf('deploy', 'head'), target, user: 'boss', permission: 'admin', pr: { ...openIntoMain, state: 'closed' } });
      expect(result).toEqual({ allowed: false, reason: `/deploy on ${target.name} acts on open pull requests only, and this one is closed without being merged` });
    }
  });

  it('/deploy on a pull request merged into another branch does not deploy it', () => {
    const result = authorize({ command: 'deploy', effect: effectOf('deploy', 'head'), target: preview, user: 'boss', permission: 'admin', pr: { state: 'merged', fork: false, base: { ref: 'develop' } } });
    expect(result).toEqual({ allowed: false, reason: expect.stringContaining('only from pull requests into `main`, and this one is into `develop`') });
  });

  it('/deploy on a pull request merged into the branch points to /sync', () => {
    const result = authorize({ command: 'deploy', effect: effectOf('deploy', 'head'), target: preview, user: 'boss', permission: 'admin', pr: { ...openIntoMain, state: 'merged' } });
    expect(result).toEqual({ allowed: false, reason: expect.stringContaining('/sync deploys the branch head now') });
  });

  it('/deploy of an earlier revision needs what /rollback needs', () => {
    const effect = effectOf('deploy', 'earlier-deploy');
    expect(authorize({ command: 'deploy', effect, target: shop, user: 'dev', permission: 'write', pr: openIntoMain })).toEqual({
      allowed: false,
      reason: '/deploy on shop needs maintain permission (a deploy of an earlier revision is a rollback); @dev has write',
    });
    expect(authorize({ command: 'deploy', effect, target: shop, user: 'lead', permission: 'maintain', pr: { ...openIntoMain, state: 'merged' } })).toEqual({ allowed: true });
  });
});

describe('authorize: permission levels against each command (defaults)', () => {
  // the default levels: read-only users may run /diff and /help only
  const needed: Record<CommandName, Level> = { help: 'none', diff: 'read', deploy: 'write', sync: 'write', rollback: 'maintain', lock: 'maintain', unlock: 'maintain' };
  const matrix = (Object.keys(needed) as CommandName[]).flatMap((command) => levels.map((permission) => ({ command, permission, allowed: levels.indexOf(permission) >= levels.indexOf(needed[command]) })));
  it.each(matrix)('/$command with $permission → allowed: $allowed', ({ command, permission, allowed }) => {
    const result = authorize({ command, effect: effectOf(command), target: preview, user: 'bob', permission, pr: openIntoMain });
    expect(result.allowed).toBe(allowed);
    if (!result.allowed) expect(result.reason).toBe(`/${command} on preview needs ${needed[command]} permission; @bob has ${permission === 'none' ? 'no access' : permission}`);
  });
});

describe('authorize: allowlists, forks and configured levels', () => {
  it.each([
    { name: 'a fork is refused by default', target: shop, user: 'bob', permission: 'admin' as Level, fork: true, command: 'diff' as CommandName, reason: /forks are refused for shop \(allowForks: false\)/ },
    { name: '/help is allowed on a fork', target: shop, user: 'bob', permission: 'none' as Level, fork: true, command: 'help' as CommandName, reason: undefined },
    { name: 'a user outside allowUsers is refused even as admin', target: strict, user: 'bob', permission: 'admin' as Level, fork: false, command: 'diff' as CommandName, reason: /@bob is not in allowUsers of strict/ },
    { name: 'an allowed user on a fork where forks are allowed', target: strict, user: 'alice', permission: 'write' as Level, fork: true, command: 'diff' as CommandName, reason: undefined },
    { name: 'a configured level above the default', target: strict, user: 'alice', permission: 'maintain' as Level, fork: false, command: 'sync' as CommandName, reason: undefined },
    { name: 'a configured level above the default, not reached', target: { ...strict, branchDeploys: true }, user: 'alice', permission: 'maintain' as Level, fork: false, command: 'deploy' as CommandName, reason: /needs admin permission; @alice has maintain/ },
    { name: 'an unknown user has no access', target: shop, user: 'stranger', permission: 'none' as Level, fork: false, command: 'diff' as CommandName, reason: /@stranger has no access/ },
  ])('$name', ({ target, user, permission, fork, command, reason }) => {
    const result = authorize({ command, effect: effectOf(command), target, user, permission, pr: { ...openIntoMain, fork } });
    if (reason) expect(result).toEqual({ allowed: false, reason: expect.stringMatching(reason) });
    else expect(result).toEqual({ allowed: true });
  });
});
