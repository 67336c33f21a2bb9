import type { TargetConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Runtime } from '../runtime.js';
import { summarize } from '../sync/changeset.js';
import { runSync, SyncStageError, type SyncResult, type SyncStage } from '../sync/pipeline.js';
import type { Trigger } from './jobs.js';

export interface DeployOptions {
  log: Logger;
  onStage?: (stage: SyncStage) => Promise<void> | void;
  onHealthProgress?: (healthy: number, total: number) => Promise<void> | void;
  signal?: AbortSignal;
  /** Whether a failure ends this deploy for good (and goes into history), or a retry follows. */
  finalAttempt: (err: unknown) => boolean;
}

/** Runs the pipeline for one revision and records the outcome: deployed revision and history. */
export async function deployRevision(rt: Runtime, target: TargetConfig, sha: string, trigger: Trigger, options: DeployOptions): Promise<SyncResult> {
  const { client, discovery } = rt.cluster(target.cluster);
  const startedAt = Date.now();
  try {
    const result = await runSync(await rt.source(target, sha), { kube: client, discovery, cacheDir: rt.config.git.cacheDir, log: options.log, onStage: options.onStage, onHealthProgress: options.onHealthProgress, signal: options.signal });
    await rt.revisions.recordDeployed(target.name, sha, true);
    await rt.history.record({ target: target.name, revision: sha, trigger, result: 'succeeded', summary: summarize(result.changes), timings: result.timings, startedAt, finishedAt: Date.now() });
    return result;
  } catch (err) {
    if (options.signal?.aborted) throw err;
    if (options.finalAttempt(err)) {
      const stageErr = err instanceof SyncStageError ? err : undefined;
      // the cluster runs (part of) this revision now, but not healthily: rollbacks skip it
      if (changedCluster(err)) await rt.revisions.recordDeployed(target.name, sha, false);
      await rt.history.record({
        target: target.name,
        revision: sha,
        trigger,
        result: stageErr?.permanent ? 'failed' : 'errored',
        stage: stageErr?.stage,
        message: err instanceof Error ? err.message : String(err),
        summary: stageErr?.applied.length ? summarize(stageErr.applied) : undefined,
        timings: stageErr?.timings ?? {},
        startedAt,
        finishedAt: Date.now(),
      });
    }
    throw err;
  }
}

/** Whether a failed sync left the cluster changed: a failed health check, or writes before apply or prune failed. */
export function changedCluster(err: unknown): boolean {
  return err instanceof SyncStageError && (err.stage === 'wait' || err.stage === 'prune' || err.applied.length > 0);
}

export type RollbackOutcome = { rolledBackTo: string } | { rollbackFailed: string; reason: string } | undefined;

/**
 * After a failed deploy that changed the cluster, re-deploys the last revision that ended
 * healthy (`rollback: onFailure`). It runs once, under the same lock; a failed rollback is
 * reported loudly and never retried, so a broken cluster cannot loop.
 */
export async function rollBackAfter(rt: Runtime, target: TargetConfig, failedSha: string, err: unknown, log: Logger): Promise<RollbackOutcome> {
  if (target.rollback !== 'onFailure' || !changedCluster(err)) return undefined;
  const { healthySha } = await rt.revisions.state(target.name);
  if (!healthySha || healthySha === failedSha) return undefined;
  const trigger: Trigger = { kind: 'rollback', deliveryId: `rollback-${failedSha.slice(0, 12)}-${Date.now()}`, actor: 'driftless' };
  const rollbackLog = log.child({ rollbackTo: healthySha });
  rollbackLog.warn('rolling back to the last healthy revision');
  try {
    await deployRevision(rt, target, healthySha, trigger, { log: rollbackLog, finalAttempt: () => true });
    rollbackLog.info('rolled back');
    return { rolledBackTo: healthySha };
  } catch (rollbackErr) {
    const reason = rollbackErr instanceof Error ? rollbackErr.message : String(rollbackErr);
    rollbackLog.error({ err: reason }, 'ROLLBACK FAILED: the target runs neither the new nor the last healthy revision');
    return { rollbackFailed: healthySha, reason };
  }
}
