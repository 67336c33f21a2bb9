import type { Queue } from 'bullmq';
import type { TargetConfig } from '../config/schema.js';
import { jobId, type SyncJobData, type SyncJobs } from './jobs.js';

/** Name of the repeating job that reconciles a target: the branch head, and drift of what runs. */
export const reconcileJobName: keyof SyncJobs = 'reconcile';

/**
 * One repeating reconcile job per target (`reconcile.interval`), and none for targets that left
 * the configuration.
 */
export async function scheduleReconciles(targets: readonly TargetConfig[], queue: Pick<Queue<SyncJobData>, 'upsertJobScheduler' | 'getJobSchedulers' | 'removeJobScheduler'>): Promise<void> {
  const wanted = new Set<string>();
  for (const target of targets) {
    const id = jobId('reconcile', target.name);
    wanted.add(id);
    const data: SyncJobData = { target: target.name, trigger: { kind: 'schedule', deliveryId: id, actor: 'driftless' } };
    await queue.upsertJobScheduler(id, { every: target.reconcile.interval }, { name: reconcileJobName, data, opts: { attempts: 1 } });
  }
  for (const scheduler of await queue.getJobSchedulers()) {
    if (scheduler.key.startsWith('reconcile.') && !wanted.has(scheduler.key)) await queue.removeJobScheduler(scheduler.key);
  }
}
