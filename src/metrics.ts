import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Queue } from 'bullmq';

/**
 * The process's Prometheus metrics, all prefixed `driftless_`. One registry per process: the web
 * serves it on /metrics; a separate worker process serves its own (see `driftless worker`).
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly queues = new Set<Queue>();

  readonly deliveries = new Counter({
    name: 'driftless_webhook_deliveries_total',
    help: 'Webhook deliveries by provider and result (queued, duplicate, ignored, rejected, unavailable).',
    labelNames: ['provider', 'result'] as const,
    registers: [this.registry],
  });

  readonly jobs = new Counter({
    name: 'driftless_jobs_total',
    help: 'Finished jobs by kind (sync, reconcile, report) and result.',
    labelNames: ['kind', 'result'] as const,
    registers: [this.registry],
  });

  readonly stageSeconds = new Histogram({
    name: 'driftless_sync_stage_duration_seconds',
    help: 'Duration of each sync stage.',
    labelNames: ['stage'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });

  readonly driftedObjects = new Gauge({
    name: 'driftless_drifted_objects',
    help: 'Objects that differed from Git at the last reconcile, per target.',
    labelNames: ['target'] as const,
    registers: [this.registry],
  });

  readonly lastSuccess = new Gauge({
    name: 'driftless_last_successful_sync_timestamp_seconds',
    help: 'Unix time of the last successful sync, per target.',
    labelNames: ['target'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'driftless_' });
    const queues = this.queues;
    new Gauge({
      name: 'driftless_queue_depth',
      help: 'Jobs per queue and state, read from Redis at scrape time.',
      labelNames: ['queue', 'state'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const q of queues) {
          const counts = await q.getJobCounts('waiting', 'delayed', 'active', 'failed');
          for (const [state, n] of Object.entries(counts)) this.set({ queue: q.name, state }, n);
        }
      },
    });
  }

  /** Reports these queues' depth at every scrape. */
  watchQueues(...queues: Queue[]): void {
    for (const q of queues) this.queues.add(q);
  }
}
