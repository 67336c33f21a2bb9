import { UnrecoverableError, Worker } from 'bullmq';
import { DriftlessError, toJobError } from '../errors.js';
import type { Runtime } from '../runtime.js';
import { queueNames, type CommentJobData, type DeploymentJobData, type NotifyJobData, type ReportJobData, type StatusJobData } from '../queue/jobs.js';
import { commentMarker, renderComment } from './comment.js';
import { sendNotification } from './notify.js';

/**
 * Posts commit statuses. Each post is its own job with its own retries, so a flaky Git host
 * never re-runs a deploy; a status older in the lifecycle than one already posted is dropped.
 */
export function createReportWorker(rt: Runtime, options: { concurrency?: number } = {}): Worker<ReportJobData> {
  const worker = new Worker<ReportJobData>(
    queueNames.report,
    async (job) => {
      if (job.name === 'notify') return notify(rt, job.data as NotifyJobData);
      if (job.name === 'comment') return upsertComment(rt, job.data as CommentJobData);
      if (job.name === 'deployment') return recordDeployment(rt, job.data as DeploymentJobData);
      const s = job.data as StatusJobData;
      const target = rt.target(s.target);
      if (!target) throw new UnrecoverableError(`target ${s.target} is not in the configuration`);
      const provider = rt.providers[target.repo.provider];
      if (!provider) return { skipped: `providers.${target.repo.provider} is not configured` };
      if (!(await rt.statusRanks.claim(s.context, s.sha, s.rank))) return { skipped: 'a later status was posted already' };
      await provider.setStatus(s.repo, { sha: s.sha, context: s.context, state: s.state, description: s.description }).catch((err: unknown) => {
        throw toJobError(err);
      });
      rt.log.debug({ deliveryId: s.deliveryId, target: s.target, commit: s.sha, state: s.state }, 'status posted');
      return { posted: s.state };
    },
    { connection: rt.redis, prefix: rt.config.redis.prefix, concurrency: options.concurrency ?? 8 },
  );
  worker.on('completed', () => rt.metrics.jobs.inc({ kind: 'report', result: 'posted' }));
  worker.on('failed', (job, err) => {
    rt.metrics.jobs.inc({ kind: 'report', result: 'failed' });
    rt.log.warn({ job: job?.name, err: err.message }, 'report job failed');
  });
  return worker;
}

async function notify(rt: Runtime, data: NotifyJobData): Promise<unknown> {
  const receiver = rt.config.notifications.find((n) => n.type === data.receiver.type && n.url === data.receiver.url);
  if (!receiver) return { skipped: 'the receiver is no longer configured' };
  await sendNotification(receiver, data.notification).catch((err: unknown) => {
    throw toJobError(err);
  });
  return { notified: data.notification.event };
}

/**
 * Renders a pull request's comment from its stored parts and creates or edits it. One render
 * per pull request at a time, so an older render never lands after a newer one.
 */
async function upsertComment(rt: Runtime, data: CommentJobData): Promise<unknown> {
  const { pr } = data;
  const provider = rt.providers[pr.provider];
  if (!provider) return { skipped: `providers.${pr.provider} is not configured` };
  const lock = await rt.commentLocks.acquire(pr);
  if (!lock) throw new DriftlessError('another render of this comment is running; retrying');
  try {
    const sections = await rt.pulls.sections(pr, (target) => rt.holds.holder(target));
    const body = renderComment(sections, { maxLength: provider.commentLimit, referencePrefix: provider.pullRequestPrefix });
    await provider.upsertPullRequestComment(pr.repo, pr.number, commentMarker, body).catch((err: unknown) => {
      throw toJobError(err);
    });
    return { rendered: sections.length };
  } finally {
    await lock.release();
  }
}

async function recordDeployment(rt: Runtime, data: DeploymentJobData): Promise<unknown> {
  const target = rt.target(data.target);
  const provider = target && rt.providers[target.repo.provider];
  if (!provider) return { skipped: 'no provider for this target' };
  await provider.recordDeployment(data.repo, { environment: data.target, sha: data.sha, ref: data.ref, state: data.state, description: data.description }).catch((err: unknown) => {
    throw toJobError(err);
  });
  return { deployment: data.state };
}
