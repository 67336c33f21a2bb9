import { permissionLevels, type PermissionLevel, type TargetConfig } from '../config/schema.js';
import type { CommandName } from './parser.js';

export type Authorization = { allowed: true } | { allowed: false; reason: string };

const rank = (level: PermissionLevel | 'none') => (level === 'none' ? -1 : permissionLevels.indexOf(level));

/**
 * Whether a user may run a command on a target: `/help` always; everything else needs the
 * target's permission level for that command (the provider's collaborator permission or access
 * level), membership of `allowUsers` when the target has one, and a non-fork pull request
 * unless the target allows forks.
 */
export function authorize(input: { command: CommandName; target: TargetConfig; user: string; permission: PermissionLevel | 'none'; fork: boolean }): Authorization {
  const { command, target, user, permission, fork } = input;
  if (command === 'help') return { allowed: true };
  if (fork && !target.allowForks) return { allowed: false, reason: `commands on pull requests from forks are refused for ${target.name} (allowForks: false)` };
  if (target.allowUsers && !target.allowUsers.includes(user)) return { allowed: false, reason: `@${user} is not in allowUsers of ${target.name}` };
  const needed = target.commands[command];
  if (rank(permission) < rank(needed)) {
    return { allowed: false, reason: `/${command} on ${target.name} needs ${needed} permission; @${user} has ${permission === 'none' ? 'no access' : permission}` };
  }
  return { allowed: true };
}
