import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { Metrics } from '../../src/metrics.js';
import { keys } from '../../src/store/keys.js';
import { RevisionStore } from '../../src/store/revisions.js';
import { targetInfos } from '../../src/store/target-status.js';

// The series read from Redis at scrape time, against a real Redis with a prefix per test.
describe('metrics read from Redis at scrape time', () => {
  const redis = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: null });
  afterAll(() => redis.quit());
  const prefix = () => `metrics-${randomBytes(4).toString('hex')}`;
  const value = async (metrics: Metrics, name: string) => (await metrics.registry.getSingleMetric(name)!.get()).values;

  it('driftless_queue_oldest_job_age_seconds is the age of the oldest waiting job, 0 when none waits', async () => {
    const queue = new Queue('sync', { connection: redis, prefix: prefix() });
    const metrics = new Metrics();
    metrics.watchQueues(queue);
    expect(await value(metrics, 'driftless_queue_oldest_job_age_seconds')).toEqual([{ labels: { queue: 'sync' }, value: 0 }]);
    await queue.add('sync', { n: 1 }, { timestamp: Date.now() - 90_000 });
    await queue.add('sync', { n: 2 });
    const [age] = await value(metrics, 'driftless_queue_oldest_job_age_seconds');
    expect(age!.value).toBeGreaterThanOrEqual(90);
    expect(age!.value).toBeLessThan(90 + 30);
    await queue.obliterate({ force: true });
    await queue.close();
  });

  it('driftless_target_info: the revision the cluster runs, Healthy when it ended healthy, Degraded when it did not; none before a deploy', async () => {
    const revisions = new RevisionStore(redis, keys(prefix()));
    const [good, bad] = ['a'.repeat(40), 'b'.repeat(40)];
    const metrics = new Metrics();
    const config = { targets: [{ name: 'shop' }, { name: 'blog' }, { name: 'new' }] } as unknown as Parameters<typeof targetInfos>[0]['config'];
    metrics.watchTargets(() => targetInfos({ config, revisions }));
    await revisions.recordOutcome('shop', { attempt: { revision: good, purpose: 'deploy', result: 'succeeded', at: Date.now(), changedCluster: true }, settled: [], history: [] });
    await revisions.recordOutcome('blog', { attempt: { revision: good, purpose: 'deploy', result: 'succeeded', at: Date.now(), changedCluster: true }, settled: [], history: [] });
    await revisions.recordOutcome('blog', { attempt: { revision: bad, purpose: 'deploy', result: 'failed', stage: 'wait', reason: 'HealthCheckFailed', permanent: true, at: Date.now(), changedCluster: true }, settled: [], history: [] });
    expect(await value(metrics, 'driftless_target_info')).toEqual([
      { labels: { target: 'shop', revision: good, health: 'Healthy' }, value: 1 },
      { labels: { target: 'blog', revision: bad, health: 'Degraded' }, value: 1 },
    ]);
    // a render failure leaves the cluster as it was: still the healthy revision
    await revisions.recordOutcome('shop', { attempt: { revision: bad, purpose: 'deploy', result: 'failed', stage: 'render', reason: 'BuildFailed', permanent: true, at: Date.now(), changedCluster: false }, settled: [], history: [] });
    expect((await value(metrics, 'driftless_target_info'))[0]).toEqual({ labels: { target: 'shop', revision: good, health: 'Healthy' }, value: 1 });
  });
});
