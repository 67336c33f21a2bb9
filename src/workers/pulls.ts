import { Worker } from 'bullmq';
import { runCommand } from '../commands/run.js';
import { targetsForPullRequest } from '../events/route.js';
import { commentJob, jobId, pullLogFields, queueNames, type PullClosedJobData, type PullJobData, type PullJobs } from '../queue/jobs.js';
import { jobProcessor, type JobContext, type JobHandlers } from '../queue/processor.js';
import type { Runtime } from '../runtime.js';
import { queueTelemetry } from '../tracing.js';
import type { PullRef } from '../model/pull.js';
import { runPreview } from '../pulls/preview.js';

/** Previews, comment commands and closed pull requests, each a job of the `pulls` queue. */
export function createPullWorker(rt: Runtime, options: { concurrency?: number } = {}): Worker<PullJobData> {
  const handlers: JobHandlers<PullJobs> = {
    preview: (ctx) => runPreview(ctx, { target: rt.target, cluster: rt.cluster, source: rt.source, cacheDir: rt.config.git.cacheDir, pulls: rt.pulls, reports: rt.queues.report }),
    command: (ctx) =>
      runCommand(ctx, { targets: rt.config.targets, providers: rt.providers, history: rt.history, revisions: rt.revisions, holds: rt.holds, pulls: rt.pulls, queues: rt.queues }),
    closed: (ctx) => pullClosed(rt, ctx),
  };
  const worker = new Worker<PullJobData>(queueNames.pulls, jobProcessor(handlers, pullLogFields, rt.log), {
    connection: rt.redis,
    prefix: rt.config.redis.prefix,
    concurrency: options.concurrency ?? 4,
    ...queueTelemetry(),
  });
  worker.on('failed', (job, err) => rt.log.warn({ job: job?.name, err: err.message }, 'pull request job failed'));
  return worker;
}

/** A closed or merged pull request releases its holds (waiting revisions deploy); a merge commit is remembered. */
async function pullClosed(rt: Runtime, { data }: JobContext<PullClosedJobData>): Promise<unknown> {
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
  if (released.length > 0) {
    const render = commentJob(pr, pr.provider, pr.repo, String(pr.number), deliveryId);
    await rt.queues.report.add(render.name, render.data, render.opts);
  }
  return { released };
}
