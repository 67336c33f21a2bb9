import type { Runtime } from '../runtime.js';
import { jobId, type SyncJobData } from './jobs.js';

/** Name of the repeating job that reconciles a target: the branch head, and drift of what runs. */
export const reconcileJobName = 'reconcile';

/**
 * One repeating reconcile job per target (`reconcile.interval`), and none for targets that left
 * the configuration.
 */
export async function scheduleReconciles(rt: Runtime): Promise<void> {
  const wanted = new Set<string>();
  for (const target of rt.config.targets) {
    const id = jobId('reconcile', target.name);
    wanted.add(id);
    const data: SyncJobData = { target: target.name, trigger: { kind: 'schedule', deliveryId: id, actor: 'driftless' } };
    await rt.queues.sync.upsertJobScheduler(id, { every: target.reconcile.interval }, { name: reconcileJobName, data, opts: { attempts: 1 } });
  }
  for (const scheduler of await rt.queues.sync.getJobSchedulers()) {
    if (scheduler.key.startsWith('reconcile.') && !wanted.has(scheduler.key)) await rt.queues.sync.removeJobScheduler(scheduler.key);
  }
}
