import { DelayedError, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import type { TargetConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import { statusJob } from '../report/status.js';
import { syncObserver } from '../report/sync-report.js';
import type { Runtime } from '../runtime.js';
import { queueTelemetry } from '../tracing.js';
import { remoteHead } from '../sync/fetch.js';
import { SyncStageError } from '../sync/pipeline.js';
import { reconcile, settledPush, type ReconcilerDeps, type ReconcileRequest, type ReconcileResult } from '../sync/reconciler.js';
import { quietUntil } from '../sync/revision-decision.js';
import { jobId, queueNames, syncLogFields, type SyncJobData, type SyncJobs } from '../queue/jobs.js';
import { jobProcessor, type JobContext } from '../queue/processor.js';

/** How long a job that found its target locked waits before it looks again. */
const lockRetryMs = 1_000;

export interface SyncWorkerOptions {
  /** Jobs processed at once by this worker (different targets; one target is always serial); default `worker.syncConcurrency`. */
  concurrency?: number;
}

/** The sync worker, and a way to give running jobs back when shutdown cannot wait for them. */
export interface SyncWorker {
  worker: Worker<SyncJobData>;
  /** Aborts every running job between steps, moves it back to waiting and releases its target lock, for another worker to take. */
  handBack(): Promise<void>;
}

/**
 * Runs sync jobs, thinly: takes the target's lock, then hands the job to the reconciler with an
 * observer that reports. A job whose run is aborted (shutdown, or the target lock lost to
 * another worker) goes back to waiting, so the sync runs again from the top elsewhere.
 */
export function createSyncWorker(rt: Runtime, options: SyncWorkerOptions = {}): SyncWorker {
  const handingBack = new Set<Promise<void>>();
  const run = (kind: keyof SyncJobs) => (ctx: JobContext<SyncJobData>) => processSync(rt, kind, ctx, handingBack);
  const worker = new Worker<SyncJobData>(queueNames.sync, jobProcessor<SyncJobs>({ sync: run('sync'), reconcile: run('reconcile') }, syncLogFields, rt.log), {
    connection: rt.redis,
    prefix: rt.config.redis.prefix,
    concurrency: options.concurrency ?? rt.config.worker.syncConcurrency,
    ...queueTelemetry(),
  });
  worker.on('failed', (job, err) => rt.log.warn({ target: job?.data.target, deliveryId: job?.data.trigger.deliveryId, err: err.message }, 'sync job failed'));
  // e.g. a handed-back job whose processor ends after its lock moved on: nothing to do but say so
  worker.on('error', (err) => rt.log.warn({ err: err.message }, 'sync worker error'));
  return {
    worker,
    async handBack() {
      worker.cancelAllJobs('shutting down: job handed back');
      await Promise.all(handingBack);
    },
  };
}

/**
 * One sync job under the target's lock. `kind` is the job's name: a `reconcile` (the schedule)
 * is its own delivery per run and never a commit's last word.
 */
async function processSync(rt: Runtime, kind: keyof SyncJobs, ctx: JobContext<SyncJobData>, handingBack: Set<Promise<void>>): Promise<unknown> {
  const { job, token, log } = ctx;
  const target = rt.target(job.data.target);
  if (!target) throw new UnrecoverableError(`target ${job.data.target} is not in the configuration`);
  if (kind === 'sync' && job.data.trigger.kind === 'push' && !job.data.revision) {
    const settled = await debounce(rt, target, ctx);
    if (settled) {
      rt.metrics.jobs.inc({ kind, result: settled.result });
      return settled;
    }
  }
  const lock = await rt.syncLocks.acquire(target.name);
  if (!lock) {
    // another worker syncs this target: step aside without holding a worker slot
    await job.moveToDelayed(Date.now() + lockRetryMs + Math.floor(Math.random() * 250), token);
    throw new DelayedError();
  }
  const signal = AbortSignal.any([ctx.signal, lock.lost]);
  // handed back as soon as the abort comes, not when the running step ends: shutdown waits for this only
  let handBack: Promise<void> | undefined;
  const onAbort = () => {
    handBack = (async () => {
      await job.moveToWait(token).catch((err: unknown) => log.warn({ jobId: job.id, err: err instanceof Error ? err.message : String(err) }, 'could not hand the job back; it will be recovered as stalled'));
      await lock.release();
      log.warn({ jobId: job.id, reason: String(signal.reason) }, 'sync aborted: job handed back to the queue');
    })();
    handingBack.add(handBack);
    void handBack.finally(() => handingBack.delete(handBack!));
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const outcome = await runJob(rt, target, kind, ctx, signal);
    rt.metrics.jobs.inc({ kind, result: outcome.result });
    return outcome;
  } catch (err) {
    if (handBack) {
      await handBack;
      throw new WaitingError();
    }
    rt.metrics.jobs.inc({ kind, result: 'failed' });
    throw err;
  } finally {
    signal.removeEventListener('abort', onAbort);
    if (!handBack) await lock.release();
  }
}

/**
 * The first steps of a push's sync, before the lock. A push whose revision a sync settled already
 * ends here, without the lock or a look at the git host. Otherwise its "queued" status is reported
 * (once, when the worker first takes the job, and never for a commit settled already). In a burst
 * it then waits until the pushes stop (target.debounce, quietUntil), delayed in the queue rather
 * than holding a worker slot or the lock; the burst deploys once, its newest commit, and the other
 * jobs find their revision settled.
 */
async function debounce(rt: Runtime, target: TargetConfig, { job, token, log }: JobContext<SyncJobData>): Promise<ReconcileResult | undefined> {
  const [activity, settled] = await Promise.all([rt.revisions.activity(target.name), settledPush(rt.revisions, target.name, job.data.commit)]);
  if (activity.pending === 0 && settled) return { result: 'skipped', reason: 'nothing pending' };
  // the delivery's "queued" status, once: made here rather than on the webhook's request path.
  // Never for a settled commit: a job run again after a Redis failover lost its completion (and
  // maybe its attempt count and the status's rank) would post "queued" over the terminal status
  if (job.data.commit && !settled && job.attemptsStarted <= 1) {
    const queued = statusJob({ target: target.name, repo: target.repo.path, sha: job.data.commit, trigger: job.data.trigger }, 'queued', 'pending', 'queued');
    await rt.queues.report.add(queued.name, queued.data, queued.opts);
  }
  const until = quietUntil(activity, Date.now(), target.debounce);
  if (until === undefined) return undefined;
  log.debug({ pending: activity.pending, until: new Date(until).toISOString() }, 'pushes keep arriving: waiting for them to stop');
  await job.moveToDelayed(until, token);
  throw new DelayedError();
}

async function runJob(rt: Runtime, target: TargetConfig, kind: keyof SyncJobs, { job }: JobContext<SyncJobData>, signal: AbortSignal): Promise<ReconcileResult> {
  const { trigger } = job.data;
  // every run of a schedule is its own delivery in logs and statuses
  const runTrigger = kind === 'reconcile' ? { ...trigger, deliveryId: jobId('schedule', job.id ?? String(Date.now())) } : trigger;
  return reconcileTarget(rt, target, { trigger: runTrigger, revision: job.data.revision, commit: job.data.commit }, {
    signal,
    // a scheduled run has one attempt: its transient failure is retried by the next run, or by the
    // delivery's own job with its backoff, so it is never the last word on a commit
    finalAttempt: (err) => err.permanent || (kind !== 'reconcile' && job.attemptsMade + 1 >= (job.opts.attempts ?? 1)),
    // a delivery's sync is timed from when the delivery queued it (push to healthy), retries and waits for the lock included
    queuedAt: kind === 'reconcile' ? undefined : job.timestamp,
  });
}

/**
 * The reconciler's wait for replicas: it never rejects, because the outcome is reported either
 * way (the writes are on the primary; only a failover in this window could lose them). Absent
 * without replicas.
 */
function durable(replicated: Runtime['replicated'], log: Logger): ReconcilerDeps['durable'] {
  if (!replicated) return undefined;
  return () => replicated().catch((err: unknown) => log.warn({ err: err instanceof Error ? err.message : String(err) }, 'revision state not yet on a replica; reporting anyway'));
}

/**
 * Runs the reconciler for one target with this process's stores, cluster client and reporting,
 * and records its metrics. The caller holds the target lock. Used by the worker and the CLI.
 * `queuedAt` (milliseconds since the epoch): when the delivery queued this sync, the start of
 * `driftless_sync_duration_seconds`; default now. A run aborted to be handed back is not counted.
 */
export async function reconcileTarget(rt: Runtime, target: TargetConfig, request: ReconcileRequest, { queuedAt = Date.now(), ...options }: Pick<ReconcilerDeps, 'signal' | 'finalAttempt'> & { queuedAt?: number }): Promise<ReconcileResult> {
  const log = rt.log.child({ deliveryId: request.trigger.deliveryId, target: target.name });
  const { client, discovery } = rt.cluster(target.cluster);
  const seconds = () => (Date.now() - queuedAt) / 1000;
  const result = await reconcile(request, {
    target,
    revisions: rt.revisions,
    history: rt.history,
    source: (sha) => rt.source(target, sha),
    branchHead: async (newestPush) => {
      const { cloneUrl, credentials } = await rt.source(target, '');
      // the clocks of the web (which queued and received) and of this worker agree far better than
      // the provider's delivery takes, so a listing started after both is after the pushes
      return remoteHead(cloneUrl, target.branch, credentials, { notBefore: Math.max(queuedAt, newestPush) });
    },
    pullHold: () => rt.holds.holder(target.name),
    durable: durable(rt.replicated, log),
    kube: client,
    discovery,
    cacheDir: rt.config.git.cacheDir,
    serializeCreates: (work) => rt.creationLocks.run(target.cluster, work),
    log,
    observer: syncObserver(
      { reports: rt.queues.report, pulls: rt.pulls, kube: client, notifications: rt.config.notifications, pullRequestPrefix: rt.providers[target.repo.provider]?.pullRequestPrefix ?? '#' },
      target,
      log,
    ),
    ...options,
  }).catch((err: unknown) => {
    if (err instanceof SyncStageError && !options.signal?.aborted) rt.metrics.recordSync(target.name, err.permanent ? 'failed' : 'errored', seconds());
    throw err;
  });
  if (result.result === 'deployed' || result.result === 'healed') rt.metrics.recordSync(target.name, result.result === 'deployed' ? 'succeeded' : 'healed', seconds());
  if ('timings' in result) {
    for (const [stage, ms] of Object.entries(result.timings)) rt.metrics.stageSeconds.observe({ stage }, ms / 1000);
    rt.metrics.lastSuccess.set({ target: target.name }, Date.now() / 1000);
  }
  if (result.result === 'in sync' || result.result === 'drifted' || result.result === 'healed') rt.metrics.driftedObjects.set({ target: target.name }, 'drift' in result ? (result.drift?.length ?? 0) : 0);
  return result;
}
