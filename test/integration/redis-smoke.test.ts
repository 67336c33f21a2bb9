import { randomBytes } from 'node:crypto';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';

describe('the test Redis is a real Redis', () => {
  const connection = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: null });
  afterAll(() => connection.quit());

  it('carries a BullMQ job from a queue to a worker', async () => {
    const name = `smoke-${randomBytes(4).toString('hex')}`;
    const queue = new Queue(name, { connection });
    const events = new QueueEvents(name, { connection: connection.duplicate() });
    const worker = new Worker(name, async (job) => ({ doubled: (job.data as { n: number }).n * 2 }), { connection: connection.duplicate() });
    try {
      await events.waitUntilReady();
      const job = await queue.add('double', { n: 21 });
      const result = await job.waitUntilFinished(events, 10_000);
      expect(result).toEqual({ doubled: 42 });
      expect(await connection.info('server')).toMatch(/redis_version:/);
    } finally {
      await worker.close();
      await events.close();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });
});
