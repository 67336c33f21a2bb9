import type { ChainableCommander, Redis } from 'ioredis';
import type { Trigger } from '../queue/jobs.js';
import type { Keys } from './keys.js';

/** A commit someone asked to deploy, waiting for the target's worker. */
export interface PendingRevision {
  sha: string;
  receivedAt: number;
  trigger: Trigger;
}

/** What is running on a target, as far as Driftless knows. */
export interface TargetState {
  deployedSha?: string;
  deployedAt?: number;
  /** The last revision whose deploy ended healthy: where a rollback goes. */
  healthySha?: string;
}

/**
 * Desired and deployed revisions per target. Pushes add pending revisions; the worker takes
 * them all at once and deploys only the newest (newest wins).
 */
export class RevisionStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** Adds a pending revision; the first push of a sha wins its trigger. */
  addPending(multi: ChainableCommander, target: string, revision: PendingRevision): void {
    multi.zadd(this.keys.pending(target), 'NX', revision.receivedAt, revision.sha);
    multi.hsetnx(this.keys.pendingMeta(target), revision.sha, JSON.stringify({ receivedAt: revision.receivedAt, trigger: revision.trigger }));
  }

  async pending(target: string): Promise<PendingRevision[]> {
    const shas = await this.redis.zrange(this.keys.pending(target), 0, '-1');
    if (shas.length === 0) return [];
    const metas = await this.redis.hmget(this.keys.pendingMeta(target), ...shas);
    return shas.map((sha, i) => {
      const meta = metas[i] ? (JSON.parse(metas[i]) as Omit<PendingRevision, 'sha'>) : undefined;
      return { sha, receivedAt: meta?.receivedAt ?? 0, trigger: meta?.trigger ?? { kind: 'push', deliveryId: 'unknown', actor: 'unknown' } };
    });
  }

  /** Removes revisions the worker has dealt with (deployed or superseded); later pushes stay. */
  async removePending(target: string, shas: readonly string[]): Promise<void> {
    if (shas.length === 0) return;
    await this.redis.multi().zrem(this.keys.pending(target), ...shas).hdel(this.keys.pendingMeta(target), ...shas).exec();
  }

  async state(target: string): Promise<TargetState> {
    const h = await this.redis.hgetall(this.keys.state(target));
    return {
      deployedSha: h.deployedSha || undefined,
      deployedAt: h.deployedAt ? Number(h.deployedAt) : undefined,
      healthySha: h.healthySha || undefined,
    };
  }

  async recordDeployed(target: string, sha: string, healthy: boolean): Promise<void> {
    const fields: Record<string, string> = { deployedSha: sha, deployedAt: String(Date.now()) };
    if (healthy) fields.healthySha = sha;
    await this.redis.hset(this.keys.state(target), fields);
  }
}
