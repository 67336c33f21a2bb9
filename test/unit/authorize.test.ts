import { describe, expect, it } from 'vitest';
import { authorize } from '../../src/commands/authorize.js';
import type { CommandName } from '../../src/commands/parser.js';
import { parseConfig } from '../../src/config/load.js';
import type { PermissionLevel } from '../../src/config/schema.js';

const config = parseConfig(
  `providers: { github: { webhookSecret: s } }
clusters: { c: { kubeconfig: /dev/null } }
targets:
  - { name: shop, repo: "github:acme/shop", cluster: c, namespace: shop }
  - { name: strict, repo: "github:acme/shop", cluster: c, namespace: strict, allowUsers: [alice], allowForks: true, commands: { deploy: admin } }
`,
  'authorize.yaml',
  {},
);
const [shop, strict] = config.targets as [(typeof config.targets)[number], (typeof config.targets)[number]];
type Level = PermissionLevel | 'none';
const levels: Level[] = ['none', 'read', 'triage', 'write', 'maintain', 'admin'];

// the default levels: read-only users may run /diff and /help only
const needed: Record<CommandName, Level> = { help: 'none', diff: 'read', deploy: 'write', sync: 'write', rollback: 'maintain', lock: 'maintain', unlock: 'maintain' };

describe('authorize: permission levels against each command (defaults)', () => {
  const matrix = (Object.keys(needed) as CommandName[]).flatMap((command) => levels.map((permission) => ({ command, permission, allowed: levels.indexOf(permission) >= levels.indexOf(needed[command]) })));
  it.each(matrix)('/$command with $permission → allowed: $allowed', ({ command, permission, allowed }) => {
    const result = authorize({ command, target: shop, user: 'bob', permission, fork: false });
    expect(result.allowed).toBe(allowed);
    if (!result.allowed) expect(result.reason).toMatch(new RegExp(`/${command} on shop needs ${needed[command]} permission; @bob has ${permission === 'none' ? 'no access' : permission}`));
  });
});

describe('authorize: allowlists, forks and configured levels', () => {
  it.each([
    { name: 'a fork is refused by default', target: shop, user: 'bob', permission: 'admin' as Level, fork: true, command: 'diff' as CommandName, reason: /forks are refused for shop \(allowForks: false\)/ },
    { name: '/help is allowed on a fork', target: shop, user: 'bob', permission: 'none' as Level, fork: true, command: 'help' as CommandName, reason: undefined },
    { name: 'a user outside allowUsers is refused even as admin', target: strict, user: 'bob', permission: 'admin' as Level, fork: false, command: 'diff' as CommandName, reason: /@bob is not in allowUsers of strict/ },
    { name: 'an allowed user on a fork where forks are allowed', target: strict, user: 'alice', permission: 'write' as Level, fork: true, command: 'diff' as CommandName, reason: undefined },
    { name: 'a configured level above the default', target: strict, user: 'alice', permission: 'maintain' as Level, fork: false, command: 'deploy' as CommandName, reason: /needs admin permission; @alice has maintain/ },
    { name: 'an unknown user has no access', target: shop, user: 'stranger', permission: 'none' as Level, fork: false, command: 'diff' as CommandName, reason: /@stranger has no access/ },
  ])('$name', ({ target, user, permission, fork, command, reason }) => {
    const result = authorize({ command, target, user, permission, fork });
    if (reason) expect(result).toEqual({ allowed: false, reason: expect.stringMatching(reason) });
    else expect(result).toEqual({ allowed: true });
  });
});
