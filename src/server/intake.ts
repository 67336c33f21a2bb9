import type { Redis } from 'ioredis';
import type { TargetConfig } from '../config/schema.js';
import { targetsForPush } from '../events/route.js';
import type { PushEvent } from '../providers/types.js';
import { jobId, type Trigger } from '../queue/jobs.js';
import type { Queues } from '../queue/queues.js';
import { statusJob } from '../report/status.js';
import type { Keys } from '../store/keys.js';
import type { RevisionStore } from '../store/revisions.js';

export type IntakeOutcome =
  | { outcome: 'queued'; targets: string[] }
  | { outcome: 'duplicate' }
  | { outcome: 'ignored'; reason: string };

/** Seconds a delivery id is remembered: GitHub and GitLab redeliver within days, not weeks. */
const rememberDeliverySeconds = 7 * 24 * 3600;
/** While a delivery is being queued its id is held briefly, so a crash mid-way does not eat the redelivery. */
const inFlightSeconds = 60;

/**
 * Turns a verified push into durable work: the pending revision per target, a sync job and a
 * "queued" status, all in Redis before the webhook is answered. Deliveries are deduplicated
 * by their id.
 */
export class Intake {
  constructor(
    private readonly deps: { redis: Redis; queues: Queues; keys: Keys; revisions: RevisionStore; targets: readonly TargetConfig[] },
  ) {}

  async acceptPush(deliveryId: string, push: PushEvent): Promise<IntakeOutcome> {
    const { redis, queues, keys, revisions } = this.deps;
    const marker = keys.delivery(push.provider, deliveryId);
    const first = await redis.set(marker, 'in-flight', 'EX', inFlightSeconds, 'NX');
    if (first !== 'OK') return { outcome: 'duplicate' };
    try {
      const targets = targetsForPush(this.deps.targets, push);
      if (targets.length > 0) {
        const trigger: Trigger = { kind: 'push', deliveryId, actor: push.actor };
        const receivedAt = Date.now();
        const multi = redis.multi();
        for (const t of targets) revisions.addPending(multi, t.name, { sha: push.after, receivedAt, trigger });
        await multi.exec();
        await Promise.all([
          queues.sync.addBulk(targets.map((t) => ({ name: 'sync', data: { target: t.name, trigger }, opts: { jobId: jobId('push', push.provider, deliveryId, t.name) } }))),
          queues.report.addBulk(targets.map((t) => statusJob({ target: t.name, repo: t.repo.path, sha: push.after, trigger }, 'queued', 'pending', 'queued'))),
        ]);
      }
      await redis.set(marker, 'done', 'EX', rememberDeliverySeconds);
      if (targets.length === 0) return { outcome: 'ignored', reason: push.deleted ? 'branch deleted' : 'no target follows this branch and path' };
      return { outcome: 'queued', targets: targets.map((t) => t.name) };
    } catch (err) {
      await redis.del(marker).catch(() => undefined);
      throw err;
    }
  }
}
