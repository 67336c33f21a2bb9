import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { queueTelemetry } from '../tracing.js';
import { queueNames, type PullJobData, type ReportJobData, type SyncJobData } from './jobs.js';

/** Retries with backoff for transient failures; permanent ones fail at once (UnrecoverableError). */
export const syncJobOptions: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 2_000 },
  removeOnComplete: { age: 24 * 3600, count: 1_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/** A status post that fails is retried for about ten minutes, on its own. */
export const reportJobOptions: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: { age: 3600, count: 1_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

export interface Queues {
  sync: Queue<SyncJobData>;
  report: Queue<ReportJobData>;
  pulls: Queue<PullJobData>;
  close(): Promise<void>;
}

export function createQueues(connection: Redis, prefix: string, log: Logger): Queues {
  const sync = new Queue<SyncJobData>(queueNames.sync, { connection, prefix, defaultJobOptions: syncJobOptions, ...queueTelemetry() });
  const report = new Queue<ReportJobData>(queueNames.report, { connection, prefix, defaultJobOptions: reportJobOptions, ...queueTelemetry() });
  // previews and commands: retried like syncs, a wrong command is answered, not retried
  const pulls = new Queue<PullJobData>(queueNames.pulls, { connection, prefix, defaultJobOptions: syncJobOptions, ...queueTelemetry() });
  // connection errors surface on each command too; these events only need to reach the log
  for (const q of [sync, report, pulls]) q.on('error', (err) => log.debug({ queue: q.name, err: err.message }, 'queue connection error'));
  return {
    sync,
    report,
    pulls,
    close: async () => {
      await Promise.all([sync.close(), report.close(), pulls.close()]);
    },
  };
}
