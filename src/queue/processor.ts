import { UnrecoverableError, type Job, type Processor } from 'bullmq';
import { DriftlessError } from '../errors.js';
import type { Logger } from '../log.js';
import { annotateActiveSpan } from '../tracing.js';
import type { JobLogFields } from './jobs.js';

/**
 * What one job runs with, built once per job by its processor (Probot's per-event `Context`):
 * its data, a logger bound to its delivery, target and commit, the AbortSignal BullMQ aborts on
 * `cancelJob`/`cancelAllJobs`, and the job itself for what only a processor may do with it
 * (move it back, read its attempts).
 */
export interface JobContext<Data> {
  data: Data;
  log: Logger;
  signal: AbortSignal;
  job: Job<Data>;
  /** The lock token BullMQ passes the processor (for `moveToDelayed`, `moveToWait`). */
  token: string | undefined;
}

export type JobHandler<Data> = (ctx: JobContext<Data>) => Promise<unknown>;

/** One handler per job name: a job name without a handler is a compile error. */
export type JobHandlers<Jobs> = { [N in keyof Jobs]: JobHandler<Jobs[N]> };

/**
 * A BullMQ processor that dispatches by job name through `handlers`, with each job's context,
 * and maps errors to BullMQ's classes once, here: a permanent DriftlessError fails the job at
 * once (UnrecoverableError); anything else is retried with the queue's backoff. A job name this
 * version does not know (enqueued by a newer one) fails at once, saying so.
 */
export function jobProcessor<Jobs>(handlers: JobHandlers<Jobs>, fields: JobLogFields<Jobs>, log: Logger): Processor {
  return async (job: Job, token?: string, signal?: AbortSignal) => {
    if (!Object.hasOwn(handlers, job.name)) throw new UnrecoverableError(`unknown job name ${job.name}`);
    const name = job.name as keyof Jobs;
    // the one unchecked step: a job's data is what its name's enqueuer (typed by JobQueue) wrote
    const data = job.data as Jobs[typeof name];
    const bound = Object.fromEntries(Object.entries(fields[name](data)).filter(([, v]) => v !== undefined));
    const ctx: JobContext<Jobs[typeof name]> = { data, log: log.child({ job: job.name, ...bound }), signal: signal ?? new AbortController().signal, job, token };
    // the span BullMQ opened for this job (tracing on) is found by the same fields as its log lines
    annotateActiveSpan(Object.fromEntries(Object.entries(bound).map(([k, v]) => [`driftless.${k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`, typeof v === 'number' ? v : String(v)])));
    try {
      return await handlers[name](ctx);
    } catch (err) {
      throw toJobError(err);
    }
  };
}

/**
 * Converts a permanent DriftlessError into BullMQ's UnrecoverableError so the job fails at once.
 * Here, in the queue layer, so that what imports errors.js (the render threads) never loads BullMQ.
 */
function toJobError(err: unknown): Error {
  if (err instanceof DriftlessError && err.permanent) {
    const unrecoverable = new UnrecoverableError(err.message);
    unrecoverable.cause = err;
    return unrecoverable;
  }
  return err instanceof Error ? err : new Error(String(err));
}
