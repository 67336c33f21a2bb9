import { createHash } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { TargetConfig } from '../config/schema.js';
import { jobId, type SyncJobData, type SyncJobs } from './jobs.js';

/** Name of the repeating job that reconciles a target: the branch head, and drift of what runs. */
export const reconcileJobName: keyof SyncJobs = 'reconcile';

/**
 * Where in each interval a target's reconcile runs: ms after every multiple of `everyMs` since the
 * epoch, in [1, everyMs). A hash of the name, so it is the same on every worker and after every
 * restart, and a fleet's reconciles spread over the interval instead of all firing in the
 * instant the workers started (BullMQ reads an offset of 0 as "none").
 */
export function reconcileOffset(target: string, everyMs: number): number {
  const h = createHash('sha256').update(target).digest().readUInt32BE(0);
  return 1 + Math.floor((h / 2 ** 32) * Math.max(everyMs - 1, 0));
}

type ScheduleQueue = Pick<Queue<SyncJobData>, 'upsertJobScheduler' | 'getJobSchedulers' | 'removeJobScheduler'>;

/**
 * One repeating reconcile job per target (`reconcile.interval`), each at its own offset in the
 * interval, and none for targets that left the configuration.
 */
export async function scheduleReconciles(targets: readonly TargetConfig[], queue: ScheduleQueue): Promise<void> {
  const existing = new Map((await queue.getJobSchedulers()).map((s) => [s.key, s]));
  const wanted = new Set<string>();
  await Promise.all(
    targets.map(async (target) => {
      const id = jobId('reconcile', target.name);
      wanted.add(id);
      const every = target.reconcile.interval;
      const offset = reconcileOffset(target.name, every);
      const before = existing.get(id);
      // an upsert keeps a scheduler's phase, so one placed at another offset (before offsets, or by
      // another interval) is replaced to move it
      if (before && before.offset !== offset) await queue.removeJobScheduler(id);
      const data: SyncJobData = { target: target.name, trigger: { kind: 'schedule', deliveryId: id, actor: 'driftless' } };
      await queue.upsertJobScheduler(id, { every, offset }, { name: reconcileJobName, data, opts: { attempts: 1 } });
    }),
  );
  for (const key of existing.keys()) {
    if (key.startsWith('reconcile.') && !wanted.has(key)) await queue.removeJobScheduler(key);
  }
}
