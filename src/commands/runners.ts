import type { TargetConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { CommentEvent, GitProvider, PullRequestInfo } from '../providers/types.js';
import type { Trigger } from '../model/trigger.js';
import type { Providers } from '../providers/index.js';
import { jobId, type JobQueues, type SyncJobData } from '../queue/jobs.js';
import type { PullRef } from '../model/pull.js';
import type { HistoryStore } from '../store/history.js';
import type { PullHoldStore } from '../store/holds.js';
import type { PullStore } from '../store/pulls.js';
import type { RevisionStore } from '../store/revisions.js';
import { effectOf, type Effect } from './authorize.js';
import { helpText } from './help.js';
import type { ParsedCommand } from './parser.js';

/** One target a command acts on, with the commit it would deploy (branch deploys and rollbacks). */
export interface TargetRequest {
  target: TargetConfig;
  revision?: string;
}

/** What comment commands read and write: the configured targets, the Git hosts, the stores and queues they touch. */
export interface CommandDeps {
  targets: readonly TargetConfig[];
  providers: Providers;
  history: Pick<HistoryStore, 'list' | 'previousHealthy'>;
  revisions: Pick<RevisionStore, 'state'>;
  holds: Pick<PullHoldStore, 'hold' | 'holder' | 'release'>;
  pulls: Pick<PullStore, 'addNote'>;
  queues: JobQueues;
}

/** Everything a command runs with: the comment, its pull request as it is now, and whom to answer. */
export interface CommandContext {
  deps: CommandDeps;
  provider: GitProvider;
  comment: CommentEvent;
  pr: PullRef;
  info: PullRequestInfo;
  command: ParsedCommand;
  /** The targets the command acts on, each authorized for the command's effect. */
  requests: TargetRequest[];
  /** Every target of the repository, for /help. */
  repoTargets: TargetConfig[];
  deliveryId: string;
  log: Logger;
}

/** What a command did, per target, for the PR comment; or a reply that ends it. */
export type CommandOutcome = { notes: { target: string; note: string }[] } | { reply: string };

/** How many history entries a named commit is looked up in. */
const historyDepth = 200;

const short = (sha: string) => sha.slice(0, 7);

/** A commit of the target's recent history whose id starts with `prefix`. */
async function fromHistory(deps: CommandDeps, target: TargetConfig, prefix: string): Promise<string | undefined> {
  return (await deps.history.list(target.name, historyDepth)).map((e) => e.revision).find((sha) => sha.startsWith(prefix));
}

/** Whether `/deploy` names the pull request's head: by default, or by a prefix of it. */
const namesHead = (info: PullRequestInfo, sha: string | undefined) => !sha || (info.head.sha !== '' && info.head.sha.startsWith(sha));

/**
 * What a command would do to `target`. Only `/deploy <sha>` needs a look: a revision the target
 * deployed before makes it a rollback; anything else it names would be a branch deploy.
 */
export async function effectFor(deps: CommandDeps, info: PullRequestInfo, command: ParsedCommand, target: TargetConfig): Promise<Effect> {
  if (command.name !== 'deploy' || namesHead(info, command.sha)) return effectOf(command.name);
  return effectOf('deploy', (await fromHistory(deps, target, command.sha!)) ? 'earlier-deploy' : undefined);
}

/**
 * The full commit id an authorized `/deploy` or `/rollback` deploys to `target`: the pull
 * request's head, or a revision from the target's history (for `/rollback` without a sha, the
 * newest healthy one other than what runs now). A commit it does not know is a reply, never fetched.
 */
export async function revisionFor(deps: CommandDeps, info: PullRequestInfo, command: ParsedCommand, target: TargetConfig): Promise<{ revision?: string } | { reply: string }> {
  if (command.name === 'deploy') {
    if (namesHead(info, command.sha)) {
      return info.head.sha ? { revision: info.head.sha } : { reply: 'This pull request reports no head commit; give all 40 characters of the commit to deploy.' };
    }
    const earlier = await fromHistory(deps, target, command.sha!);
    return earlier ? { revision: earlier } : { reply: `I do not know commit \`${command.sha}\` of ${target.name}: name the pull request's head or a revision ${target.name} deployed before.` };
  }
  if (command.name === 'rollback') {
    if (command.sha) {
      const named = await fromHistory(deps, target, command.sha);
      return named ? { revision: named } : { reply: `${target.name} never deployed \`${command.sha}\`.` };
    }
    const { deployed } = await deps.revisions.state(target.name);
    const previous = await deps.history.previousHealthy(target.name, deployed);
    return previous ? { revision: previous } : { reply: `${target.name} has no earlier healthy revision to roll back to.` };
  }
  return {};
}

type Runner = (ctx: CommandContext) => Promise<CommandOutcome>;

const by = (ctx: CommandContext) => `@${ctx.comment.author}`;
const trigger = (ctx: CommandContext, kind: Trigger['kind']): Trigger => ({ kind, deliveryId: ctx.deliveryId, actor: ctx.comment.author, pr: ctx.pr.number });

async function enqueueSync(ctx: CommandContext, data: SyncJobData, suffix: string): Promise<void> {
  await ctx.deps.queues.sync.add('sync', data, { jobId: jobId('comment', ctx.deliveryId, data.target, suffix) });
}

/** Deploys exactly the requested revision of every request, as a sync job of `kind`. */
async function deployRevisions(ctx: CommandContext, kind: 'comment' | 'rollback', verb: string): Promise<CommandOutcome> {
  for (const { target, revision } of ctx.requests) await enqueueSync(ctx, { target: target.name, revision, trigger: trigger(ctx, kind) }, kind === 'rollback' ? 'rollback' : 'deploy');
  return { notes: ctx.requests.map(({ target, revision }) => ({ target: target.name, note: `${by(ctx)} ${verb} ${short(revision ?? '')}` })) };
}

/** One runner per effect: the Record type makes an effect without a runner a compile error. */
export const runners: Record<Effect, Runner> = {
  async help(ctx) {
    return { reply: helpText(ctx.repoTargets.map((t) => t.name)) };
  },

  async preview(ctx) {
    await ctx.deps.queues.pulls.addBulk(
      ctx.requests.map(({ target }) => ({
        name: 'preview' as const,
        data: { target: target.name, pr: ctx.pr, sha: ctx.info.head.sha, deliveryId: ctx.deliveryId },
        opts: { jobId: jobId('preview', 'comment', ctx.deliveryId, target.name) },
      })),
    );
    return { notes: ctx.requests.map(({ target }) => ({ target: target.name, note: `${by(ctx)} asked for a diff of ${short(ctx.info.head.sha)}` })) };
  },

  'branch-deploy': (ctx) => deployRevisions(ctx, 'comment', 'is deploying'),

  rollback: (ctx) => deployRevisions(ctx, 'rollback', 'is rolling back to'),

  async sync(ctx) {
    // a person's sync of the branch head: retried even if it failed before
    for (const { target } of ctx.requests) await enqueueSync(ctx, { target: target.name, trigger: trigger(ctx, 'comment') }, 'sync');
    return { notes: ctx.requests.map(({ target }) => ({ target: target.name, note: `${by(ctx)} asked for a sync of ${target.branch}` })) };
  },

  async lock(ctx) {
    const notes = [];
    for (const { target } of ctx.requests) {
      const holder = await ctx.deps.holds.hold(target.name, { provider: ctx.pr.provider, repo: ctx.pr.repo, pr: ctx.pr.number, user: ctx.comment.author, at: new Date().toISOString() });
      if (holder) return { reply: `${target.name} is locked by ${ctx.provider.pullRequestPrefix}${holder.pr} (@${holder.user}); it must be unlocked or closed first.` };
      notes.push({ target: target.name, note: `${by(ctx)} locked ${target.name}: deploys of ${target.branch} wait until it is unlocked` });
    }
    return { notes };
  },

  async unlock(ctx) {
    const notes = [];
    for (const { target } of ctx.requests) {
      const holder = await ctx.deps.holds.holder(target.name);
      if (!holder) {
        notes.push({ target: target.name, note: `${target.name} was not locked` });
        continue;
      }
      await ctx.deps.holds.release(target.name, { provider: holder.provider, repo: holder.repo, number: holder.pr });
      // the newest revision that waited behind the lock deploys now
      await enqueueSync(ctx, { target: target.name, trigger: trigger(ctx, 'comment') }, 'unlock');
      notes.push({ target: target.name, note: `${by(ctx)} unlocked ${target.name}` });
    }
    return { notes };
  },
};
