import { randomUUID } from 'node:crypto';
import { DriftlessError } from '../errors.js';
import type { Redis } from 'ioredis';
import type { PullRef } from '../model/pull.js';
import type { Keys } from './keys.js';

const releaseScript = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const renewScript = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

/** A held lock. */
export interface HeldLock {
  readonly key: string;
  readonly token: string;
  /**
   * Aborted when the lock is no longer ours: a renewal found another token (we paused past the
   * expiry, or Redis failed over), or renewals failed for longer than the lock lives. Whoever
   * holds the lock must stop writing then.
   */
  readonly lost: AbortSignal;
  release(): Promise<void>;
}

/**
 * One sync per target across every worker: a Redis key holding a random token, renewed while
 * held, released only by its holder. A crashed holder's lock expires after `ttlMs`.
 */
export async function acquireLock(redis: Redis, key: string, ttlMs = 30_000): Promise<HeldLock | undefined> {
  const token = randomUUID();
  const ok = await redis.set(key, token, 'PX', ttlMs, 'NX');
  if (ok !== 'OK') return undefined;
  const lost = new AbortController();
  let renewedAt = Date.now();
  const timer = setInterval(() => {
    redis.eval(renewScript, 1, key, token, ttlMs).then(
      (renewed) => {
        if (renewed === 1) renewedAt = Date.now();
        else lost.abort(new Error(`lock ${key} was taken over`));
      },
      () => {
        // a Redis hiccup: the next renewal tries again well before expiry, unless it is past already
        if (Date.now() - renewedAt >= ttlMs) lost.abort(new Error(`lock ${key} could not be renewed for ${ttlMs} ms`));
      },
    );
  }, ttlMs / 3);
  timer.unref();
  lost.signal.addEventListener('abort', () => clearInterval(timer), { once: true });
  let released = false;
  return {
    key,
    token,
    lost: lost.signal,
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      await redis.eval(releaseScript, 1, key, token);
    },
  };
}


/**
 * Runs `work` holding the lock at `key`, trying again every 100 to 250 ms while another holder
 * has it, for up to `waitMs`; then throws a transient DriftlessError saying `busy` and how long.
 */
async function runHoldingLock<T>(redis: Redis, key: string, work: (lock: HeldLock) => Promise<T>, waitMs: number, busy: string): Promise<T> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const lock = await acquireLock(redis, key);
    if (lock) {
      try {
        return await work(lock);
      } finally {
        await lock.release();
      }
    }
    if (Date.now() > deadline) throw new DriftlessError(`${busy} for over ${Math.round(waitMs / 1000)} s; retrying later`);
    await new Promise((r) => setTimeout(r, 100 + Math.floor(Math.random() * 150)));
  }
}

/**
 * The sync lock: one sync per target across every worker and the CLI. Not a pull request's hold
 * on a target (`/lock`), which is PullHoldStore's.
 */
export class SyncLockStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** The target's sync lock, or undefined while another sync holds it. */
  acquire(target: string): Promise<HeldLock | undefined> {
    return acquireLock(this.redis, this.keys.lock(target));
  }
}

/**
 * Locks of the report worker, held while one record is read and written, so two jobs never
 * write the same record at once: a pull request's comment (an older render never lands after a
 * newer one), and a target's deployment records (two jobs of one deployment would each find none
 * and each create one).
 */
export class ReportLockStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** The pull request's render lock, or undefined while another render holds it. */
  comment(pr: PullRef): Promise<HeldLock | undefined> {
    return acquireLock(this.redis, this.keys.commentLock(pr.provider, pr.repo, pr.number), 60_000);
  }

  /**
   * Runs `work` holding the lock of the target's deployment records (its environment), waiting
   * for it while another job holds it, up to `waitMs` (default 2 min; then a transient
   * DriftlessError, and the job is retried). Waiting in the job, rather than going back to the
   * end of the queue, keeps a target's jobs near their queue order, though not strictly: waiters
   * poll, so two waiting at once go in either order. `work` gets the lock to check that it still
   * holds it before it writes.
   */
  deployment<T>(target: string, work: (lock: HeldLock) => Promise<T>, waitMs = 120_000): Promise<T> {
    return runHoldingLock(this.redis, this.keys.deploymentLock(target), work, waitMs, `another job has been recording the deployments of target ${target}`);
  }
}

/**
 * One creating sync per cluster at a time, across every target: what a sync planned to create is
 * checked and written under it, so two targets declaring the same new object never both write it.
 * Syncs that create nothing never take it.
 */
export class CreationLockStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /**
   * Runs `work` holding the cluster's creation lock, waiting for it up to `waitMs` (default 2 min);
   * throws a transient DriftlessError when another sync holds it longer (the job is retried).
   */
  run<T>(cluster: string, work: () => Promise<T>, waitMs = 120_000): Promise<T> {
    return runHoldingLock(this.redis, this.keys.createLock(cluster), work, waitMs, `another sync has been creating objects in cluster ${cluster}`);
  }
}
