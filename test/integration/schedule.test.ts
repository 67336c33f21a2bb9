import { randomBytes } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { TargetConfig } from '../../src/config/schema.js';
import type { SyncJobData } from '../../src/queue/jobs.js';
import { reconcileOffset, scheduleReconciles } from '../../src/queue/schedule.js';

// The reconcile schedule of a fleet, against a real Redis with a queue prefix per test.
describe('reconcile schedule', () => {
  const redis = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: null });
  const queues: Queue<SyncJobData>[] = [];
  afterEach(async () => {
    for (const q of queues.splice(0)) {
      await q.obliterate({ force: true });
      await q.close();
    }
  });
  afterAll(() => redis.quit());

  const queue = () => {
    const q = new Queue<SyncJobData>('sync', { connection: redis, prefix: `schedule-${randomBytes(4).toString('hex')}` });
    queues.push(q);
    return q;
  };
  const fleet = (n: number, intervalMs: number, from = 0) =>
    Array.from({ length: n }, (_, i) => ({ name: `app-${String(from + i).padStart(4, '0')}`, reconcile: { interval: intervalMs, drift: 'heal' } }) as unknown as TargetConfig);
  /** When each target's next reconcile is due, ms since the epoch, by scheduler key. */
  const due = async (q: Queue<SyncJobData>) => new Map((await q.getJobSchedulers()).map((s) => [s.key, s.next!]));
  /** How far `at` is from the target's place in the interval, ms. */
  const phaseError = (at: number, target: string, everyMs: number) => {
    const d = (((at - reconcileOffset(target, everyMs)) % everyMs) + everyMs) % everyMs;
    return Math.min(d, everyMs - d);
  };

  it('spreads 1,000 targets over the interval: every one due within it, the busiest 1% of it holds at most 3% of them', async () => {
    const every = 60_000;
    const q = queue();
    const before = Date.now();
    await scheduleReconciles(fleet(1000, every), q);
    const times = [...(await due(q)).values()];
    expect(times).toHaveLength(1000);
    for (const t of times) {
      expect(t).toBeGreaterThan(before);
      expect(t).toBeLessThanOrEqual(Date.now() + every);
    }
    const buckets = new Map<number, number>();
    for (const t of times) buckets.set(Math.floor((t % every) / (every / 100)), (buckets.get(Math.floor((t % every) / (every / 100))) ?? 0) + 1);
    expect(buckets.size).toBeGreaterThan(90);
    expect(Math.max(...buckets.values())).toBeLessThanOrEqual(30);
  });

  it('a restart keeps each target where it was; a target that left loses its schedule', async () => {
    const q = queue();
    await scheduleReconciles(fleet(20, 60_000), q);
    const first = await due(q);
    await scheduleReconciles(fleet(19, 60_000), q);
    const second = await due(q);
    expect(second.size).toBe(19);
    for (const [key, t] of second) expect(t).toBe(first.get(key));
  });

  it('moves a schedule made without an offset (every target at once) to the target’s own place', async () => {
    const q = queue();
    const targets = fleet(10, 60_000);
    for (const t of targets) await q.upsertJobScheduler(`reconcile.${t.name}`, { every: 60_000 }, { name: 'reconcile', data: { target: t.name, trigger: { kind: 'schedule', deliveryId: `reconcile.${t.name}`, actor: 'driftless' } } });
    await scheduleReconciles(targets, q);
    const times = await due(q);
    for (const t of targets) expect(phaseError(times.get(`reconcile.${t.name}`)!, t.name, 60_000)).toBe(0);
    expect(await q.getDelayedCount()).toBe(10);
  });

  it('a worker runs each target’s reconciles at its own place in the interval, not all at once', async () => {
    const every = 2_000;
    const q = queue();
    const targets = fleet(12, every);
    const ran: { target: string; at: number }[] = [];
    const connection = redis.duplicate();
    const worker = new Worker<SyncJobData>(
      'sync',
      async (job) => {
        ran.push({ target: job.data.target, at: Date.now() });
      },
      { connection, prefix: q.opts.prefix, concurrency: 12 },
    );
    try {
      await scheduleReconciles(targets, q);
      await expect.poll(() => ran.length, { timeout: 10_000, interval: 100 }).toBeGreaterThanOrEqual(24);
    } finally {
      await worker.close();
      await connection.quit();
    }
    // each ran within 300 ms of its own phase (the worker's pick-up delay on a busy machine)
    for (const r of ran) expect(phaseError(r.at, r.target, every)).toBeLessThan(300);
    const firstRuns = targets.map((t) => Math.min(...ran.filter((r) => r.target === t.name).map((r) => r.at)));
    expect(Math.max(...firstRuns) - Math.min(...firstRuns)).toBeGreaterThan(every / 3);
  });
});
