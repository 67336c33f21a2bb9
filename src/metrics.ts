import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Queue } from 'bullmq';
import { buildInfo } from './version.js';

/** How a sync run ended, as `driftless_sync_total` and `driftless_sync_duration_seconds` label it. */
export type SyncMetricResult = 'succeeded' | 'healed' | 'failed' | 'errored';

/**
 * One target for `driftless_target_info`: what the cluster runs (the last revision that changed
 * it) and whether that revision ended healthy (`Healthy`) or not (`Degraded`).
 */
export interface TargetInfo {
  target: string;
  revision: string;
  health: 'Healthy' | 'Degraded';
}

/**
 * The process's Prometheus metrics: Driftless's own prefixed `driftless_`, Node's default
 * process and runtime metrics under their standard names (`process_*`, `nodejs_*`). One registry
 * per process: the web serves it on /metrics; a separate worker process serves its own (see
 * `driftless worker`).
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly queues = new Set<Queue>();
  private readTargets?: () => Promise<TargetInfo[]>;

  readonly deliveries = new Counter({
    name: 'driftless_webhook_deliveries_total',
    help: 'Webhook deliveries by provider and result (queued, duplicate, in-flight, ignored, rejected, unavailable).',
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

  /** Sync runs (a deploy, heal or rollback that reached fetch) by how they ended; a transient error counts per attempt. */
  readonly syncs = new Counter({
    name: 'driftless_sync_total',
    help: 'Sync runs per target by result (succeeded, healed, failed, errored).',
    labelNames: ['target', 'result'] as const,
    registers: [this.registry],
  });

  /** From the delivery that queued the sync (the push) to its end (healthy, or failed). */
  readonly syncSeconds = new Histogram({
    name: 'driftless_sync_duration_seconds',
    help: 'Seconds from the delivery that queued a sync (a scheduled run: its start) to healthy or failed, per target and result.',
    labelNames: ['target', 'result'] as const,
    buckets: [1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1800],
    registers: [this.registry],
  });

  readonly lastSuccess = new Gauge({
    name: 'driftless_last_successful_sync_timestamp_seconds',
    help: 'Unix time of the last successful sync, per target.',
    labelNames: ['target'] as const,
    registers: [this.registry],
  });

  constructor() {
    // unprefixed, so stock Node.js dashboards and alerts read them (process_cpu_seconds_total, nodejs_heap_size_used_bytes)
    collectDefaultMetrics({ register: this.registry });
    const queues = this.queues;
    new Gauge({
      name: 'driftless_build_info',
      help: 'Always 1; the labels say which Driftless and Node.js versions run.',
      labelNames: ['version', 'node_version'] as const,
      registers: [this.registry],
    }).set({ version: buildInfo.version, node_version: buildInfo.nodeVersion }, 1);
    new Gauge({
      name: 'driftless_queue_oldest_job_age_seconds',
      help: 'Seconds since the oldest job still waiting in each queue was queued (0 when none waits), read from Redis at scrape time.',
      labelNames: ['queue'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const q of queues) {
          const [oldest] = await q.getJobs(['wait'], 0, 0, true);
          this.set({ queue: q.name }, oldest ? Math.max(0, (Date.now() - oldest.timestamp) / 1000) : 0);
        }
      },
    });
    const readTargets = async () => (await this.readTargets?.()) ?? [];
    new Gauge({
      name: 'driftless_target_info',
      help: 'Always 1 per target; the labels say which revision the cluster runs and whether it ended healthy. Read from Redis at scrape time.',
      labelNames: ['target', 'revision', 'health'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const { target, revision, health } of await readTargets()) this.set({ target, revision, health }, 1);
      },
    });
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

  /**
   * Reports `driftless_target_info` from `read` at every scrape. The web registers it (every
   * process would report the same state from Redis); a target never deployed has no series.
   */
  watchTargets(read: () => Promise<TargetInfo[]>): void {
    this.readTargets = read;
  }

  /** Records one finished sync run: `driftless_sync_total` and `driftless_sync_duration_seconds`. */
  recordSync(target: string, result: SyncMetricResult, seconds: number): void {
    this.syncs.inc({ target, result });
    this.syncSeconds.observe({ target, result }, seconds);
  }

  /** Reports these queues' depth and oldest waiting job at every scrape. */
  watchQueues(...queues: Queue[]): void {
    for (const q of queues) this.queues.add(q);
  }
}
