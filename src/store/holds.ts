import type { Redis } from 'ioredis';
import type { PullHold, PullRef } from '../model/pull.js';
import type { Keys } from './keys.js';

/**
 * A pull request's hold on a target (`/lock`, `/unlock`): pushes are recorded but their deploys
 * wait. Not the sync lock, which is SyncLockStore's.
 */
export class PullHoldStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** The pull request holding the target, if any. */
  async holder(target: string): Promise<PullHold | undefined> {
    const raw = await this.redis.get(this.keys.prLock(target));
    return raw ? (JSON.parse(raw) as PullHold) : undefined;
  }

  /** Takes the target for a pull request; returns the holder when another pull request has it. */
  async hold(target: string, lock: PullHold): Promise<PullHold | undefined> {
    const key = this.keys.prLock(target);
    if ((await this.redis.set(key, JSON.stringify(lock), 'NX')) === 'OK') return undefined;
    const holder = await this.holder(target);
    if (holder && holder.provider === lock.provider && holder.repo === lock.repo && holder.pr === lock.pr) return undefined;
    return holder;
  }

  /** Releases the target if this pull request holds it; returns whether it did. */
  async release(target: string, pr: PullRef): Promise<boolean> {
    const holder = await this.holder(target);
    if (!holder || holder.provider !== pr.provider || holder.repo !== pr.repo || holder.pr !== pr.number) return false;
    await this.redis.del(this.keys.prLock(target));
    return true;
  }
}
