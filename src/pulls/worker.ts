import { Worker, type Job } from 'bullmq';
import { runCommand } from '../commands/run.js';
import { toJobError } from '../errors.js';
import { targetsForPullRequest } from '../events/route.js';
import { jobId, queueNames, type CommandJobData, type PreviewJobData, type PullClosedJobData, type PullJobData } from '../queue/jobs.js';
import type { Runtime } from '../runtime.js';
import type { PullRef } from '../model/pull.js';
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

/** A closed or merged pull request releases its locks (waiting revisions deploy); a merge commit is remembered. */
async function pullClosed(rt: Runtime, data: PullClosedJobData): Promise<unknown> {
  const { event, deliveryId } = data;
  const pr: PullRef = { provider: event.provider, repo: event.repo, number: event.number };
  if (event.action === 'merged' && event.mergeCommitSha) await rt.pulls.rememberMerge(pr, event.mergeCommitSha);
  const released: string[] = [];
  for (const t of targetsForPullRequest(rt.config.targets, event)) {
    if (!(await rt.holds.release(t.name, pr))) continue;
    released.push(t.name);
    await rt.pulls.addNote(pr, t.name, `${t.name} unlocked: the pull request was ${event.action}`);
    await rt.queues.sync.add('sync', { target: t.name, trigger: { kind: 'api', deliveryId, actor: event.actor, pr: event.number } }, { jobId: jobId('unlock', deliveryId, t.name) });
  }
  if (released.length > 0) await renderComment(rt, pr, deliveryId);
  return { released };
}
