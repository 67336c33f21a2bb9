import type { CommandName as ConfigCommandName, TargetConfig } from '../config/schema.js';
import type { CommandName } from '../model/command.js';
import { permissionLevels, type PermissionLevel } from '../model/permission.js';
import type { PullRequestInfo } from '../providers/types.js';

/**
 * What a command does to one target; commands are authorized by this, not by their name.
 * - `preview`: renders the pull request's head and dry-runs it against the cluster; writes nothing.
 * - `branch-deploy`: deploys the pull request's head, a commit not (yet) reviewed into the branch.
 * - `rollback`: deploys a revision the target ran before (from its history).
 * - `sync`: deploys the head of the target's branch.
 * - `lock` / `unlock`: holds the target's deploys for this pull request / lets them run again.
 * - `help`: lists commands and targets.
 */
export type Effect = 'help' | 'preview' | 'branch-deploy' | 'rollback' | 'sync' | 'lock' | 'unlock';

export type PullState = PullRequestInfo['state'];
const anyState: readonly PullState[] = ['open', 'closed', 'merged'];

/** When a command with an effect may run; the README's "Pull request workflow" table says the same. */
export interface EffectRule {
  /** The key of the target's `commands` whose permission level it needs; `help` needs none. */
  permission?: ConfigCommandName;
  /** The states of the pull request it acts on. */
  states: readonly PullState[];
  /** Whether the pull request must be into the target's branch (a pull request speaks only for the targets of its base branch). */
  intoTargetBranch: boolean;
  /** Whether the target must set `branchDeploys: true`. */
  branchDeploys: boolean;
}

/**
 * The table. Why each row is as it is:
 * - a preview and a lock concern the pull request's change, so only while it is open (a lock
 *   taken on a closed pull request would never be released by closing it);
 * - a branch deploy runs an unreviewed head: only while open, only into the target's branch,
 *   only where the target opts in; a closed head was never reviewed, a merged one deploys from
 *   the branch (`/sync`);
 * - a rollback, a sync and an unlock concern the target, not the change: from a pull request in
 *   any state (a merged one is where a bad deploy is discussed), into the target's branch.
 */
export const effectRules: Record<Effect, EffectRule> = {
  help: { states: anyState, intoTargetBranch: false, branchDeploys: false },
  preview: { permission: 'diff', states: ['open'], intoTargetBranch: true, branchDeploys: false },
  'branch-deploy': { permission: 'deploy', states: ['open'], intoTargetBranch: true, branchDeploys: true },
  rollback: { permission: 'rollback', states: anyState, intoTargetBranch: true, branchDeploys: false },
  sync: { permission: 'sync', states: anyState, intoTargetBranch: true, branchDeploys: false },
  lock: { permission: 'lock', states: ['open'], intoTargetBranch: true, branchDeploys: false },
  unlock: { permission: 'unlock', states: anyState, intoTargetBranch: true, branchDeploys: false },
};

/**
 * The effect of a command on a target. `/deploy` of the pull request's head is a branch deploy;
 * `/deploy <sha>` of a revision the target deployed before is a rollback, whatever the command
 * is called, so it needs what `/rollback` needs.
 */
export function effectOf(command: CommandName, revision?: 'head' | 'earlier-deploy'): Effect {
  switch (command) {
    case 'diff':
      return 'preview';
    case 'deploy':
      return revision === 'earlier-deploy' ? 'rollback' : 'branch-deploy';
    default:
      return command;
  }
}

export type Authorization = { allowed: true } | { allowed: false; reason: string };

const rank = (level: PermissionLevel | 'none') => (level === 'none' ? -1 : permissionLevels.indexOf(level));

/** The pull request as far as authorization cares. */
export type PullFacts = Pick<PullRequestInfo, 'state' | 'fork'> & { base: { ref: string } };

/**
 * Whether `user` may have `effect` done to `target` from this pull request: a non-fork pull
 * request (unless the target allows forks), membership of `allowUsers` when the target has one,
 * the provider permission level the target sets for the effect, then `effectRules` (base
 * branch, pull request state, branchDeploys). `command` is what the user wrote, for the reason.
 */
export function authorize(input: { command: CommandName; effect: Effect; target: TargetConfig; user: string; permission: PermissionLevel | 'none'; pr: PullFacts }): Authorization {
  const { command, effect, target, user, permission, pr } = input;
  const rule = effectRules[effect];
  if (rule.permission === undefined) return { allowed: true };
  const refuse = (reason: string): Authorization => ({ allowed: false, reason });
  // who first: someone who may not run the command learns nothing more about the target
  if (pr.fork && !target.allowForks) return refuse(`commands on pull requests from forks are refused for ${target.name} (allowForks: false)`);
  if (target.allowUsers && !target.allowUsers.includes(user)) return refuse(`@${user} is not in allowUsers of ${target.name}`);
  const needed = target.commands[rule.permission];
  if (rank(permission) < rank(needed)) {
    const as = effect === 'rollback' && command !== 'rollback' ? ` (a deploy of an earlier revision is a rollback)` : '';
    return refuse(`/${command} on ${target.name} needs ${needed} permission${as}; @${user} has ${permission === 'none' ? 'no access' : permission}`);
  }
  if (rule.intoTargetBranch && pr.base.ref !== target.branch) {
    return refuse(`${target.name} deploys \`${target.branch}\`: /${command} acts on it only from pull requests into \`${target.branch}\`, and this one is into \`${pr.base.ref}\``);
  }
  if (!rule.states.includes(pr.state)) {
    const merged = effect === 'branch-deploy' && pr.state === 'merged' ? ` (its change deploys from \`${target.branch}\`; /sync deploys the branch head now)` : '';
    return refuse(`/${command} on ${target.name} acts on open pull requests only, and this one is ${pr.state === 'closed' ? 'closed without being merged' : 'merged'}${merged}`);
  }
  if (rule.branchDeploys && !target.branchDeploys) {
    return refuse(`${target.name} does not deploy pull request heads (branchDeploys: false): merge into \`${target.branch}\` to deploy, or ask an admin to set branchDeploys on the target`);
  }
  return { allowed: true };
}
