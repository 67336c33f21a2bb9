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
  /** Whether a failure ends this deploy for good (and goes into history), or a retry follows. */
  finalAttempt: (err: unknown) => boolean;
}

/** Runs the pipeline for one revision and records the outcome: deployed revision and history. */
export async function deployRevision(rt: Runtime, target: TargetConfig, sha: string, trigger: Trigger, options: DeployOptions): Promise<SyncResult> {
  const { client, discovery } = rt.cluster(target.cluster);
  const startedAt = Date.now();
  try {
    const result = await runSync(await rt.source(target, sha), { kube: client, discovery, cacheDir: rt.config.git.cacheDir, log: options.log, onStage: options.onStage, onHealthProgress: options.onHealthProgress });
    await rt.revisions.recordDeployed(target.name, sha, true);
    await rt.history.record({ target: target.name, revision: sha, trigger, result: 'succeeded', summary: summarize(result.changes), timings: result.timings, startedAt, finishedAt: Date.now() });
    return result;
  } catch (err) {
    if (options.finalAttempt(err)) {
      const stageErr = err instanceof SyncStageError ? err : undefined;
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
