import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { TargetConfig } from '../config/schema.js';
import { toJobError } from '../errors.js';
import { statusJob } from '../report/status.js';
import { DeployReporter, reportLocked } from '../report/deploy-report.js';
import type { Runtime } from '../runtime.js';
import type { PendingRevision } from '../store/revisions.js';
import { summarize } from '../sync/changeset.js';
import { ensureCommits, isAncestor } from '../sync/fetch.js';
import { SyncStageError } from '../sync/pipeline.js';
import { deployRevision, rollBackAfter } from './deploy.js';
import { jobId, queueNames, type SyncJobData, type Trigger } from './jobs.js';
import { reconcileJobName, reconcileTarget } from './reconcile.js';
import { acquireLock, type HeldLock } from './lock.js';
import { chooseRevision } from './revision-choice.js';

/** How long a job that found its target locked waits before it looks again. */
const lockRetryMs = 1_000;

export interface SyncWorkerOptions {
  /** Jobs processed at once by this worker (different targets; one target is always serial). */
  concurrency?: number;
}

/**
 * Runs sync jobs: takes the target's lock, picks the newest pending revision, runs the pipeline,
 * records history and reports statuses for it and for every revision it superseded.
 */
/** The sync worker, and a way to give running jobs back when shutdown cannot wait for them. */
export interface SyncWorker {
  worker: Worker<SyncJobData>;
  /** Moves every running job back to waiting and releases its target lock, for another worker to take. */
  handBack(): Promise<void>;
}

export function createSyncWorker(rt: Runtime, options: SyncWorkerOptions = {}): SyncWorker {
  const running = new Map<string, { job: Job<SyncJobData>; token: string | undefined; lock: HeldLock; abort: AbortController }>();
  const worker = new Worker<SyncJobData>(queueNames.sync, (job, token) => processSync(rt, job, token, running), {
    connection: rt.redis,
    prefix: rt.config.redis.prefix,
    concurrency: options.concurrency ?? 4,
  });
  worker.on('failed', (job, err) => rt.log.warn({ target: job?.data.target, deliveryId: job?.data.trigger.deliveryId, err: err.message }, 'sync job failed'));
  // e.g. a handed-back job whose processor ends after its lock moved on: nothing to do but say so
  worker.on('error', (err) => rt.log.warn({ err: err.message }, 'sync worker error'));
  return {
    worker,
    async handBack() {
      for (const [id, { job, token, lock, abort }] of running) {
        running.delete(id);
        abort.abort(new Error('shutting down: job handed back'));
        await job.moveToWait(token).catch((err: unknown) => rt.log.warn({ job: id, err: err instanceof Error ? err.message : String(err) }, 'could not hand the job back; it will be recovered as stalled'));
        await lock.release();
        rt.log.warn({ job: id, target: job.data.target }, 'shutdown: job handed back to the queue');
      }
    },
  };
}

async function processSync(rt: Runtime, job: Job<SyncJobData>, token: string | undefined, running: Map<string, { job: Job<SyncJobData>; token: string | undefined; lock: HeldLock; abort: AbortController }>): Promise<unknown> {
  const target = rt.target(job.data.target);
  if (!target) throw new UnrecoverableError(`target ${job.data.target} is not in the configuration`);
  const lock = await acquireLock(rt.redis, rt.keys.lock(target.name));
  if (!lock) {
    // another worker syncs this target: step aside without holding a worker slot
    await job.moveToDelayed(Date.now() + lockRetryMs + Math.floor(Math.random() * 250), token);
    throw new DelayedError();
  }
  const id = job.id ?? '';
  const abort = new AbortController();
  running.set(id, { job, token, lock, abort });
  const kind = job.name === reconcileJobName ? 'reconcile' : 'sync';
  try {
    const outcome = await runJob(rt, target, job, abort.signal);
    rt.metrics.jobs.inc({ kind, result: (outcome as { result?: string }).result ?? 'done' });
    return outcome;
  } catch (err) {
    rt.metrics.jobs.inc({ kind, result: err instanceof DelayedError ? 'delayed' : 'failed' });
    throw err;
  } finally {
    running.delete(id);
    await lock.release();
  }
}

async function runJob(rt: Runtime, target: TargetConfig, job: Job<SyncJobData>, signal: AbortSignal): Promise<unknown> {
  const held = await rt.pulls.lock(target.name);
  // a locked target only runs what the locking pull request asks for; pushes keep waiting, recorded
  if (held && !(job.data.trigger.pr === held.pr && (job.data.trigger.kind === 'comment' || job.data.trigger.kind === 'rollback'))) {
    const waiting = job.name === reconcileJobName ? [] : await rt.revisions.pending(target.name);
    await reportLocked(rt, target, waiting, held, rt.providers[held.provider]?.pullRequestPrefix ?? '#');
    return { result: 'locked', by: held.pr };
  }
  if (job.name !== reconcileJobName) return syncTarget(rt, target, job, signal);
  // every run of a schedule is its own delivery in logs and statuses
  const trigger: Trigger = { ...job.data.trigger, deliveryId: jobId('schedule', job.id ?? String(Date.now())) };
  const log = rt.log.child({ deliveryId: trigger.deliveryId, target: target.name });
  const outcome = await reconcileTarget(rt, target, trigger, log).catch((err: unknown) => {
    throw toJobError(err);
  });
  if (outcome.result === 'missed push') return syncTarget(rt, target, job, signal);
  return outcome;
}

async function syncTarget(rt: Runtime, target: TargetConfig, job: Job<SyncJobData>, signal: AbortSignal): Promise<unknown> {
  const { trigger } = job.data;
  const state = await rt.revisions.state(target.name);
  const explicit: PendingRevision | undefined = job.data.revision ? { sha: job.data.revision, receivedAt: Date.now(), trigger } : undefined;
  const pending = explicit ? [explicit] : await rt.revisions.pending(target.name);
  if (pending.length === 0) return { result: 'nothing pending' };

  const probe = await rt.source(target, pending[0]!.sha);
  await ensureCommits({ cacheDir: rt.config.git.cacheDir, cloneUrl: probe.cloneUrl, credentials: probe.credentials, shas: pending.map((p) => p.sha) }).catch((err: unknown) => {
    throw toJobError(err);
  });
  const choice = await chooseRevision(pending, explicit ? undefined : state.deployedSha, (a, b) => isAncestor(rt.config.git.cacheDir, probe.cloneUrl, a, b));

  const winner = choice.deploy?.sha ?? state.deployedSha ?? '';
  for (const p of choice.superseded) {
    const j = statusJob({ target: target.name, repo: target.repo.path, sha: p.sha, trigger: p.trigger }, 'terminal', 'superseded', `superseded by ${winner.slice(0, 7)}`);
    await rt.queues.report.add(j.name, j.data, j.opts);
    await rt.history.record({ target: target.name, revision: p.sha, trigger: p.trigger, result: 'superseded', message: `superseded by ${winner}`, timings: {}, startedAt: Date.now(), finishedAt: Date.now() });
  }
  const handled = pending.map((p) => p.sha);
  if (!choice.deploy) {
    await rt.revisions.removePending(target.name, handled);
    return { result: choice.reason };
  }

  const { sha } = choice.deploy;
  const revTrigger = choice.deploy.trigger;
  const log = rt.log.child({ deliveryId: revTrigger.deliveryId, target: target.name, commit: sha });
  log.info({ trigger: revTrigger.kind, actor: revTrigger.actor, superseded: choice.superseded.length }, 'sync started');
  const out = new DeployReporter(rt, target, sha, revTrigger, log);
  await out.started();
  const isFinal = (err: unknown) => (err instanceof SyncStageError && err.permanent) || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
  try {
    const result = await deployRevision(rt, target, sha, revTrigger, {
      log,
      signal,
      finalAttempt: isFinal,
      onStage: (stage) => out.stage(stage),
      onHealthProgress: (healthy, total) => out.health(healthy, total),
    });
    const summary = summarize(result.changes);
    for (const [stage, ms] of Object.entries(result.timings)) rt.metrics.stageSeconds.observe({ stage }, ms / 1000);
    rt.metrics.lastSuccess.set({ target: target.name }, Date.now() / 1000);
    await rt.revisions.removePending(target.name, handled);
    await out.succeeded(summary);
    log.info({ summary, timings: result.timings }, 'sync succeeded');
    return { result: 'deployed', sha, summary };
  } catch (err) {
    if (signal.aborted) throw err; // handed back at shutdown: another worker runs it again
    const permanent = err instanceof SyncStageError && err.permanent;
    log.warn({ stage: err instanceof SyncStageError ? err.stage : undefined, permanent, err: err instanceof Error ? err.message : String(err) }, 'sync failed');
    if (isFinal(err)) {
      await rt.revisions.removePending(target.name, handled);
      const rollback = await rollBackAfter(rt, target, sha, err, log);
      const applied = err instanceof SyncStageError && err.applied.length ? summarize(err.applied) : undefined;
      await out.failed(err instanceof Error ? err.message : String(err), permanent, rollback, applied);
    }
    throw toJobError(err);
  }
}

