import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import type { JobQueues, SyncJobData } from '../../src/queue/jobs.js';
import { Intake, type IntakeDeps } from '../../src/server/intake.js';
import { DeliveryStore } from '../../src/store/deliveries.js';
import { keys } from '../../src/store/keys.js';
import { waitForReplicas } from '../../src/store/redis-connection.js';
import { RevisionStore } from '../../src/store/revisions.js';
import { pushEvent } from '../helpers/events.js';

// Intake's writes against a real Redis and real BullMQ queues, a prefix of their own per test:
// the claim script (dedup and the pending revisions in one round trip), and a failed write that
// leaves the delivery redeliverable.
const redis = new Redis(process.env.REDIS_URL!);
afterAll(() => redis.quit());

const sha = (c: string) => c.repeat(40);
const trigger = (id: string) => ({ kind: 'push' as const, deliveryId: id, actor: 'dev' });

function stores() {
  const prefix = `intake-${randomBytes(4).toString('hex')}`;
  const k = keys(prefix);
  return { prefix, k, deliveries: new DeliveryStore(redis, k), revisions: new RevisionStore(redis, k) };
}

describe('DeliveryStore.claim', () => {
  it('claims a delivery once and records its revision as pending per target; a duplicate writes nothing', async () => {
    const { deliveries, revisions } = stores();
    expect(await deliveries.claim('github', 'd-1', { targets: ['prod', 'dev'], revision: { sha: sha('a'), receivedAt: 5, trigger: trigger('d-1') } }, 'done')).toBe('claimed');
    expect(await deliveries.claim('github', 'd-1', { targets: ['prod'], revision: { sha: sha('b'), receivedAt: 6, trigger: trigger('d-1') } })).toBe('duplicate');
    expect(await revisions.pending('prod')).toEqual([{ sha: sha('a'), receivedAt: 5, trigger: trigger('d-1') }]);
    expect(await revisions.pending('dev')).toEqual([{ sha: sha('a'), receivedAt: 5, trigger: trigger('d-1') }]);
    // another host's delivery of the same id is its own
    expect(await deliveries.claim('gitlab', 'd-1')).toBe('claimed');
  });

  it('keeps the first delivery of a sha as its trigger, and a forgotten delivery can be claimed again', async () => {
    const { deliveries, revisions } = stores();
    await deliveries.claim('github', 'd-1', { targets: ['prod'], revision: { sha: sha('a'), receivedAt: 5, trigger: trigger('d-1') } });
    await deliveries.claim('github', 'd-2', { targets: ['prod'], revision: { sha: sha('a'), receivedAt: 9, trigger: trigger('d-2') } });
    expect(await revisions.pending('prod')).toEqual([{ sha: sha('a'), receivedAt: 5, trigger: trigger('d-1') }]);
    await deliveries.forget('github', 'd-2');
    expect(await deliveries.claim('github', 'd-2')).toBe('claimed');
  });

  it('answers a copy of a delivery still being taken in "in-flight", not "duplicate"; the hold expires within 15 s', async () => {
    const { k, deliveries, revisions } = stores();
    expect(await deliveries.claim('github', 'd-1', { targets: ['prod'], revision: { sha: sha('a'), receivedAt: 5, trigger: trigger('d-1') } })).toBe('claimed');
    expect(await deliveries.claim('github', 'd-1', { targets: ['prod'], revision: { sha: sha('b'), receivedAt: 6, trigger: trigger('d-1') } })).toBe('in-flight');
    expect((await revisions.pending('prod')).map((p) => p.sha)).toEqual([sha('a')]);
    const ttl = await redis.ttl(k.delivery('github', 'd-1'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(15);
    await deliveries.done('github', 'd-1');
    expect(await deliveries.claim('github', 'd-1')).toBe('duplicate');
  });
});

describe('Intake on a real Redis', () => {
  const { targets } = configSchema.parse({
    providers: { github: { webhookSecret: 's' } },
    clusters: { c: { inCluster: true } },
    targets: [{ name: 'prod', repo: 'github:acme/shop', path: 'overlays/prod', cluster: 'c', namespace: 'shop' }],
  });
  const push = pushEvent({ changedPaths: ['overlays/prod/kustomization.yaml'] });

  function intakeOn(prefix: string, connection: Redis, s: Pick<IntakeDeps, 'deliveries' | 'revisions'>, replicated?: () => Promise<void>) {
    const queue = new Queue<SyncJobData>('sync', { connection, prefix });
    const queues = { sync: queue, report: queue, pulls: queue } as unknown as JobQueues;
    return { queue, intake: new Intake({ deliveries: s.deliveries, revisions: s.revisions, queues, targets, replicated }) };
  }

  it('queues a push once: a redelivery is a duplicate, and one sync job carries the commit', async () => {
    const s = stores();
    const { queue, intake } = intakeOn(s.prefix, redis, s);
    expect(await intake.acceptPush('d-1', push)).toEqual({ outcome: 'queued', targets: ['prod'] });
    expect(await intake.acceptPush('d-1', push)).toEqual({ outcome: 'duplicate' });
    const jobs = await queue.getJobs(['waiting']);
    expect(jobs.map((j) => [j.id, j.data.commit])).toEqual([['push.github.d-1.prod', push.after]]);
    expect(await redis.get(s.k.delivery('github', 'd-1'))).toBe('done');
    expect((await s.revisions.pending('prod')).map((p) => p.sha)).toEqual([push.after]);
  });

  it('forgets a delivery whose job could not be written, so its redelivery is queued', async () => {
    const s = stores();
    const { queue, intake } = intakeOn(s.prefix, redis, s);
    // BullMQ's add begins with INCR of the queue's id counter: a hash there makes Redis refuse it
    const counter = `${s.prefix}:sync:id`;
    await redis.hset(counter, 'not', 'a counter');
    await expect(intake.acceptPush('d-1', push)).rejects.toThrow(/WRONGTYPE/);
    expect(await redis.exists(s.k.delivery('github', 'd-1'))).toBe(0);

    await redis.del(counter);
    expect(await intake.acceptPush('d-1', push)).toEqual({ outcome: 'queued', targets: ['prod'] });
    expect((await queue.getJobs(['waiting'])).map((j) => j.id)).toEqual(['push.github.d-1.prod']);
  });

  it('with replicas to wait for, a delivery they did not acknowledge is forgotten (answered 503), and one they did is done', async () => {
    const s = stores();
    // the test Redis has no replica: WAIT for one times out
    const unreplicated = intakeOn(s.prefix, redis, s, () => waitForReplicas(redis, 1, 50));
    await expect(unreplicated.intake.acceptPush('d-1', push)).rejects.toThrow();
    expect(await redis.exists(s.k.delivery('github', 'd-1'))).toBe(0);

    const replicated = intakeOn(s.prefix, redis, s, () => waitForReplicas(redis, 0, 50));
    expect(await replicated.intake.acceptPush('d-1', push)).toEqual({ outcome: 'queued', targets: ['prod'] });
    expect(await redis.get(s.k.delivery('github', 'd-1'))).toBe('done');
    expect(await replicated.intake.acceptPush('d-1', push)).toEqual({ outcome: 'duplicate' });
  });

  it('with replicas to wait for, a delivery whose intake failed and could not forget it (Redis lost mid-way) is answered "in-flight" to copies, never "duplicate", until the hold lapses', async () => {
    const s = stores();
    // the job cannot be written (see above), and then Redis is gone for the forget
    const counter = `${s.prefix}:sync:id`;
    await redis.hset(counter, 'not', 'a counter');
    const unreachable: IntakeDeps['deliveries'] = {
      claim: (...args) => s.deliveries.claim(...args),
      done: (...args) => s.deliveries.done(...args),
      isDone: (...args) => s.deliveries.isDone(...args),
      connected: true,
      forget: () => Promise.reject(new Error('Connection is closed.')),
    };
    const first = intakeOn(s.prefix, redis, { ...s, deliveries: unreachable }, () => waitForReplicas(redis, 0, 50));
    await expect(first.intake.acceptPush('d-1', push)).rejects.toThrow(/WRONGTYPE/);
    await redis.del(counter);
    const copy = intakeOn(s.prefix, redis, s, () => waitForReplicas(redis, 0, 50));
    expect(await copy.intake.acceptPush('d-1', push)).toEqual({ outcome: 'in-flight' });
    expect(await redis.get(s.k.delivery('github', 'd-1'))).toBe('in-flight');
    const ttl = await redis.ttl(s.k.delivery('github', 'd-1'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(15);
    // nothing was queued for it
    expect(await copy.queue.getJobs(['waiting'])).toEqual([]);
    // the hold lapsed: the redelivery is taken in
    await redis.del(s.k.delivery('github', 'd-1'));
    expect(await copy.intake.acceptPush('d-1', push)).toEqual({ outcome: 'queued', targets: ['prod'] });
    expect((await copy.queue.getJobs(['waiting'])).map((j) => j.id)).toEqual(['push.github.d-1.prod']);
  });
});
