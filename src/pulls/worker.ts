import { Worker, type Job } from 'bullmq';
import { authorize } from '../commands/authorize.js';
import { parseComment } from '../commands/parser.js';
import { runners } from '../commands/runners.js';
import { toJobError } from '../errors.js';
import { targetsForPullRequest, targetsOfRepo } from '../events/route.js';
import { jobId, queueNames, type CommandJobData, type PreviewJobData, type PullClosedJobData, type PullJobData } from '../queue/jobs.js';
import type { Runtime } from '../runtime.js';
import type { PullRef } from '../store/pulls.js';
import { runPreview } from './preview.js';

/** Previews, comment commands and closed pull requests, each a job of the `pulls` queue. */
export function createPullWorker(rt: Runtime, options: { concurrency?: number } = {}): Worker<PullJobData> {
  const worker = new Worker<PullJobData>(
    queueNames.pulls,
    async (job: Job<PullJobData>) => {
      try {
        if (job.name === 'preview') {
          const data = job.data as PreviewJobData;
          return await runPreview(rt, data, rt.log.child({ deliveryId: data.deliveryId, target: data.target, commit: data.sha, pr: data.pr.number }));
        }
        if (job.name === 'command') return await runCommand(rt, job.data as CommandJobData);
        return await pullClosed(rt, job.data as PullClosedJobData);
      } catch (err) {
        throw toJobError(err);
      }
    },
    { connection: rt.redis, prefix: rt.config.redis.prefix, concurrency: options.concurrency ?? 4 },
  );
  worker.on('failed', (job, err) => rt.log.warn({ job: job?.name, err: err.message }, 'pull request job failed'));
  return worker;
}

function renderComment(rt: Runtime, pr: PullRef, deliveryId: string) {
  return rt.queues.report.add('comment', { pr }, { jobId: jobId('comment', pr.provider, pr.repo, String(pr.number), deliveryId) });
}

/** Parses, acknowledges, authorizes and runs one comment command; refusals are answered with the reason. */
async function runCommand(rt: Runtime, data: CommandJobData): Promise<unknown> {
  const { comment, deliveryId } = data;
  const provider = rt.providers[comment.provider];
  if (!provider) return { skipped: `providers.${comment.provider} is not configured` };
  const repoTargets = targetsOfRepo(rt.config.targets, comment);
  const parsed = parseComment(comment.body, { targets: repoTargets.map((t) => t.name) });
  if (parsed.kind === 'ignore') return { ignored: true };
  const log = rt.log.child({ deliveryId, pr: comment.pr, author: comment.author });
  // the acknowledgement is a courtesy: a failed reaction must not cost the command
  await provider.acknowledgeComment(comment.repo, comment.pr, comment.commentId).catch((err: unknown) => log.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not acknowledge the comment'));
  if (parsed.kind === 'reply') {
    await provider.replyToPullRequest(comment.repo, comment.pr, parsed.message);
    return { replied: parsed.reason };
  }
  const { command } = parsed;
  const pr: PullRef = { provider: comment.provider, repo: comment.repo, number: comment.pr };
  const info = await provider.pullRequest(comment.repo, comment.pr);
  const targets = command.target ? repoTargets.filter((t) => t.name === command.target) : repoTargets;
  const permission = command.name === 'help' ? 'none' : await provider.permission(comment.repo, comment.author);
  const refusals = targets
    .map((target) => authorize({ command: command.name, target, user: comment.author, permission, fork: info.fork }))
    .flatMap((a) => (a.allowed ? [] : [a.reason]));
  if (refusals.length > 0) {
    log.info({ command: command.name, refusals }, 'command refused');
    await provider.replyToPullRequest(comment.repo, comment.pr, `Not running \`/${command.name}\`: ${refusals.join('; ')}.`);
    return { refused: refusals };
  }
  const outcome = await runners[command.name]({ rt, provider, comment, pr, info, command, targets, repoTargets, deliveryId, log });
  log.info({ command: command.name, targets: targets.map((t) => t.name) }, 'command accepted');
  if ('reply' in outcome) {
    await provider.replyToPullRequest(comment.repo, comment.pr, outcome.reply);
    return { replied: command.name };
  }
  for (const n of outcome.notes) await rt.pulls.addNote(pr, n.target, n.note);
  await renderComment(rt, pr, deliveryId);
  return { ran: command.name };
}

/** A closed or merged pull request releases its locks (waiting revisions deploy); a merge commit is remembered. */
async function pullClosed(rt: Runtime, data: PullClosedJobData): Promise<unknown> {
  const { event, deliveryId } = data;
  const pr: PullRef = { provider: event.provider, repo: event.repo, number: event.number };
  if (event.action === 'merged' && event.mergeCommitSha) await rt.pulls.rememberMerge(pr, event.mergeCommitSha);
  const released: string[] = [];
  for (const t of targetsForPullRequest(rt.config.targets, event)) {
    if (!(await rt.pulls.releaseLock(t.name, pr))) continue;
    released.push(t.name);
    await rt.pulls.addNote(pr, t.name, `${t.name} unlocked: the pull request was ${event.action}`);
    await rt.queues.sync.add('sync', { target: t.name, trigger: { kind: 'api', deliveryId, actor: event.actor, pr: event.number } }, { jobId: jobId('unlock', deliveryId, t.name) });
  }
  if (released.length > 0) await renderComment(rt, pr, deliveryId);
  return { released };
}
