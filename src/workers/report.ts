import { DelayedError, UnrecoverableError, Worker } from 'bullmq';
import { DriftlessError } from '../errors.js';
import { ProviderError, type GitProvider } from '../providers/types.js';
import { queueNames, reportLogFields, type ReportJobData, type ReportJobs, type StatusJobData } from '../queue/jobs.js';
import { jobProcessor, type JobContext, type JobHandler, type JobHandlers } from '../queue/processor.js';
import type { Runtime } from '../runtime.js';
import { queueTelemetry } from '../tracing.js';
import { checkFromStatus, previewCheck } from '../report/check.js';
import { commentMarker, renderComment } from '../report/comment.js';
import { deploymentRank, deploymentRankKey } from '../report/deployment.js';
import { sendNotification } from '../report/notify.js';

/**
 * Posts what syncs and previews report: commit statuses, notifications, the pull request's
 * comment and the provider's deployments. Each post is its own job with its own retries, so a
 * flaky Git host never re-runs a deploy. A status or deployment state older in its lifecycle than
 * one already posted is dropped; behind a backlog a commit's terminal status is taken before
 * its progress statuses (their job priorities), so the progress it made moot costs no write.
 */
export function createReportWorker(rt: Runtime, options: { concurrency?: number } = {}): Worker<ReportJobData> {
  /**
   * The provider a status or check of `s` is posted through, once its place in the lifecycle is
   * claimed; or why it is not posted (no provider, or a later status was posted already).
   */
  const claimedProvider = async (s: StatusJobData): Promise<GitProvider | { skipped: string }> => {
    const target = rt.target(s.target);
    if (!target) throw new UnrecoverableError(`target ${s.target} is not in the configuration`);
    const provider = reporterFor(rt, target.repo.provider);
    if ('skipped' in provider) return provider;
    if (!(await rt.statusRanks.claim(rankKey(s), s.sha, s.rank))) return { skipped: 'a later status was posted already' };
    return provider;
  };
  const handlers: JobHandlers<ReportJobs> = {
    async status({ data: s, log }) {
      const provider = await claimedProvider(s);
      if ('skipped' in provider) return provider;
      // as a GitHub App, the lifecycle is a check run's: queued → in_progress → completed
      if (provider.checks) await provider.checks.upsertCheckRun(s.repo, { name: s.context, sha: s.sha, runId: s.run, ...checkFromStatus(s.state, s.description) });
      else await provider.setStatus(s.repo, { sha: s.sha, context: s.context, state: s.state, description: s.description });
      log.debug({ state: s.state, check: provider.checks !== undefined }, 'status posted');
      return { posted: s.state };
    },

    /** A preview's result: the check run with its plan, or (a token) the commit status. */
    async check({ data: c, log }) {
      const provider = await claimedProvider(c);
      if ('skipped' in provider) return provider;
      if (!provider.checks) {
        await provider.setStatus(c.repo, { sha: c.sha, context: c.context, state: c.state, description: c.description });
        return { posted: c.state };
      }
      const preview = (await rt.pulls.sections(c.pr, async () => undefined)).find((s) => s.target === c.target)?.preview;
      // a newer head's preview replaced this one: this commit's check still ends, with its one line
      const state = preview?.sha === c.sha ? previewCheck(c.target, preview) : checkFromStatus(c.state, c.description);
      await provider.checks.upsertCheckRun(c.repo, { name: c.context, sha: c.sha, runId: c.run, ...state });
      log.debug({ conclusion: state.conclusion, annotations: state.output.annotations?.length ?? 0 }, 'check run posted');
      return { posted: state.conclusion };
    },

    async notify({ data }) {
      const receiver = rt.config.notifications.find((n) => n.type === data.receiver.type && n.url === data.receiver.url);
      if (!receiver) return { skipped: 'the receiver is no longer configured' };
      await sendNotification(receiver, data.notification);
      return { notified: data.notification.event };
    },

    /**
     * Renders a pull request's comment from its stored parts and creates or edits it. One render
     * per pull request at a time, so an older render never lands after a newer one.
     */
    async comment({ data: { pr } }) {
      const provider = reporterFor(rt, pr.provider);
      if ('skipped' in provider) return provider;
      const lock = await rt.reportLocks.comment(pr);
      if (!lock) throw new DriftlessError('another render of this comment is running; retrying');
      try {
        const sections = await rt.pulls.sections(pr, (target) => rt.holds.holder(target));
        const body = renderComment(sections, { maxLength: provider.commentLimit, referencePrefix: provider.pullRequestPrefix });
        await provider.upsertPullRequestComment(pr.repo, pr.number, commentMarker, body);
        return { rendered: sections.length };
      } finally {
        await lock.release();
      }
    },

    /**
     * Moves the commit's deployment to a state, under the target's deployment lock: the record is
     * read (is there a deployment of this commit, in which state) and then written, so two jobs
     * of one deployment never both find none and both create one. A state older than one
     * already recorded is skipped: after a finished state it would start a new deployment.
     */
    async deployment({ data }) {
      const target = rt.target(data.target);
      if (!target) return { skipped: `target ${data.target} is not in the configuration` };
      const provider = reporterFor(rt, target.repo.provider);
      if ('skipped' in provider) return provider;
      return rt.reportLocks.deployment(data.target, async (lock) => {
        if (!(await rt.statusRanks.claim(deploymentRankKey(data), data.sha, deploymentRank(data.state)))) return { skipped: 'a later state of this deployment was recorded already' };
        // renewals failed for longer than the lock lives: another job may be writing now
        if (lock.lost.aborted) throw new DriftlessError(`lost the lock of target ${data.target}'s deployments before recording ${data.state}; retrying`);
        await provider.recordDeployment(data.repo, { environment: data.target, sha: data.sha, ref: data.ref, state: data.state, description: data.description });
        return { deployment: data.state };
      });
    },
  };
  const limited = Object.fromEntries(Object.entries(handlers).map(([name, handler]) => [name, untilRateLimitLifts(handler as JobHandler<unknown>)])) as JobHandlers<ReportJobs>;
  const worker = new Worker<ReportJobData>(queueNames.report, jobProcessor(limited, reportLogFields, rt.log), {
    connection: rt.redis,
    prefix: rt.config.redis.prefix,
    concurrency: options.concurrency ?? 8,
    ...queueTelemetry(),
  });
  worker.on('completed', () => rt.metrics.jobs.inc({ kind: 'report', result: 'posted' }));
  worker.on('failed', (job, err) => {
    rt.metrics.jobs.inc({ kind: 'report', result: 'failed' });
    rt.log.warn({ job: job?.name, err: err.message }, 'report job failed');
  });
  return worker;
}

/** The Git host's client if it may write there; a host without one, or without credentials, is skipped, saying why. */
function reporterFor(rt: Runtime, host: keyof Runtime['providers']): GitProvider | { skipped: string } {
  const provider = rt.providers[host];
  if (!provider) return { skipped: `providers.${host} is not configured` };
  if (!provider.canReport) return { skipped: `providers.${host} has no token${host === 'github' ? ' or app' : ''}: nothing is reported` };
  return provider;
}

/**
 * A post the Git host refused for a rate limit that lifts later than its client waits in-process
 * (ProviderError.retryAt) goes back to the delayed set until then, without spending one of its
 * attempts: a long limit delays reports, it never loses them (and never re-runs a deploy).
 */
function untilRateLimitLifts<Data>(handler: JobHandler<Data>): JobHandler<Data> {
  return async (ctx: JobContext<Data>) => {
    try {
      return await handler(ctx);
    } catch (err) {
      if (!(err instanceof ProviderError) || err.retryAt === undefined || err.retryAt <= Date.now()) throw err;
      ctx.log.warn({ until: new Date(err.retryAt).toISOString(), err: err.message }, 'rate limited: the report waits until the limit lifts');
      await ctx.job.moveToDelayed(err.retryAt, ctx.token);
      throw new DelayedError();
    }
  };
}

/** What a status's rank is kept under: its context, per run when it has one. */
const rankKey = (s: StatusJobData) => (s.run === undefined ? s.context : `${s.context}@${s.run}`);
