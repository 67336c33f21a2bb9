import type { TargetConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { CommentEvent, GitProvider, PullRequestInfo } from '../providers/types.js';
import type { Trigger } from '../model/trigger.js';
import { jobId, type SyncJobData } from '../queue/jobs.js';
import type { Runtime } from '../runtime.js';
import type { PullRef } from '../store/pulls.js';
import { helpText } from './help.js';
import type { CommandName, ParsedCommand } from './parser.js';

/** Everything a command runs with: the comment, its pull request as it is now, and whom to answer. */
export interface CommandContext {
  rt: Runtime;
  provider: GitProvider;
  comment: CommentEvent;
  pr: PullRef;
  info: PullRequestInfo;
  command: ParsedCommand;
  /** The targets the command applies to, authorized. */
  targets: TargetConfig[];
  /** Every target of the repository, for /help. */
  repoTargets: TargetConfig[];
  deliveryId: string;
  log: Logger;
}

/** What a command did, per target, for the PR comment; or a reply that ends it. */
export type CommandOutcome = { notes: { target: string; note: string }[] } | { reply: string };

type Runner = (ctx: CommandContext) => Promise<CommandOutcome>;

const short = (sha: string) => sha.slice(0, 7);
const by = (ctx: CommandContext) => `@${ctx.comment.author}`;
const trigger = (ctx: CommandContext, kind: Trigger['kind']): Trigger => ({ kind, deliveryId: ctx.deliveryId, actor: ctx.comment.author, pr: ctx.pr.number });

/** A full commit id for what the command names: the PR head, or a commit in the target's history. */
async function resolveSha(ctx: CommandContext, target: TargetConfig, given: string | undefined): Promise<string | undefined> {
  if (!given) return ctx.info.head.sha;
  if (ctx.info.head.sha.startsWith(given)) return ctx.info.head.sha;
  const known = (await ctx.rt.history.list(target.name, 200)).map((e) => e.revision);
  return known.find((sha) => sha.startsWith(given));
}

async function enqueueSync(ctx: CommandContext, data: SyncJobData, suffix: string): Promise<void> {
  await ctx.rt.queues.sync.add('sync', data, { jobId: jobId('comment', ctx.deliveryId, data.target, suffix) });
}

/** One runner per command: the Record type makes a command without a runner a compile error. */
export const runners: Record<CommandName, Runner> = {
  async help(ctx) {
    return { reply: helpText(ctx.repoTargets.map((t) => t.name)) };
  },

  async diff(ctx) {
    await ctx.rt.queues.pulls.addBulk(
      ctx.targets.map((t) => ({
        name: 'preview',
        data: { target: t.name, pr: ctx.pr, sha: ctx.info.head.sha, deliveryId: ctx.deliveryId },
        opts: { jobId: jobId('preview', 'comment', ctx.deliveryId, t.name) },
      })),
    );
    return { notes: ctx.targets.map((t) => ({ target: t.name, note: `${by(ctx)} asked for a diff of ${short(ctx.info.head.sha)}` })) };
  },

  async deploy(ctx) {
    const notes = [];
    for (const t of ctx.targets) {
      const sha = await resolveSha(ctx, t, ctx.command.sha);
      if (!sha) return { reply: `I do not know commit \`${ctx.command.sha}\` of ${t.name}: name the pull request's head or give all 40 characters.` };
      if (!t.branchDeploys && sha === ctx.info.head.sha && ctx.info.state === 'open') {
        return { reply: `${t.name} does not deploy pull request heads (branchDeploys: false): merge into \`${t.branch}\` to deploy, or ask an admin to set branchDeploys on the target.` };
      }
      await enqueueSync(ctx, { target: t.name, revision: sha, trigger: trigger(ctx, 'comment') }, 'deploy');
      notes.push({ target: t.name, note: `${by(ctx)} is deploying ${short(sha)}` });
    }
    return { notes };
  },

  async rollback(ctx) {
    const notes = [];
    for (const t of ctx.targets) {
      const { deployed } = await ctx.rt.revisions.state(t.name);
      const history = await ctx.rt.history.list(t.name, 200);
      const sha = ctx.command.sha
        ? history.map((e) => e.revision).find((r) => r.startsWith(ctx.command.sha!))
        : history.find((e) => e.result === 'succeeded' && e.revision !== deployed)?.revision;
      if (!sha) return { reply: ctx.command.sha ? `${t.name} never deployed \`${ctx.command.sha}\`.` : `${t.name} has no earlier healthy revision to roll back to.` };
      await enqueueSync(ctx, { target: t.name, revision: sha, trigger: trigger(ctx, 'rollback') }, 'rollback');
      notes.push({ target: t.name, note: `${by(ctx)} is rolling back to ${short(sha)}` });
    }
    return { notes };
  },

  async sync(ctx) {
    // a person's sync of the branch head: retried even if it failed before
    for (const t of ctx.targets) await enqueueSync(ctx, { target: t.name, trigger: trigger(ctx, 'comment') }, 'sync');
    return { notes: ctx.targets.map((t) => ({ target: t.name, note: `${by(ctx)} asked for a sync of ${t.branch}` })) };
  },

  async lock(ctx) {
    const notes = [];
    for (const t of ctx.targets) {
      const holder = await ctx.rt.pulls.acquireLock(t.name, { provider: ctx.pr.provider, repo: ctx.pr.repo, pr: ctx.pr.number, user: ctx.comment.author, at: new Date().toISOString() });
      if (holder) return { reply: `${t.name} is locked by ${ctx.provider.pullRequestPrefix}${holder.pr} (@${holder.user}); it must be unlocked or closed first.` };
      notes.push({ target: t.name, note: `${by(ctx)} locked ${t.name}: deploys of ${t.branch} wait until it is unlocked` });
    }
    return { notes };
  },

  async unlock(ctx) {
    const notes = [];
    for (const t of ctx.targets) {
      const holder = await ctx.rt.pulls.lock(t.name);
      if (!holder) {
        notes.push({ target: t.name, note: `${t.name} was not locked` });
        continue;
      }
      await ctx.rt.pulls.releaseLock(t.name, { provider: holder.provider, repo: holder.repo, number: holder.pr });
      // the newest revision that waited behind the lock deploys now
      await enqueueSync(ctx, { target: t.name, trigger: trigger(ctx, 'comment') }, 'unlock');
      notes.push({ target: t.name, note: `${by(ctx)} unlocked ${t.name}` });
    }
    return { notes };
  },
};
