import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

const releaseScript = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const renewScript = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

/** A held lock; `lost` turns true if renewal found it taken over (e.g. after a long pause). */
export interface HeldLock {
  readonly key: string;
  readonly token: string;
  readonly lost: boolean;
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
  let lost = false;
  const timer = setInterval(() => {
    redis.eval(renewScript, 1, key, token, ttlMs).then(
      (renewed) => {
        if (renewed !== 1) lost = true;
      },
      () => undefined, // Redis hiccup: the next renewal tries again well before expiry
    );
  }, ttlMs / 3);
  timer.unref();
  let released = false;
  return {
    key,
    token,
    get lost() {
      return lost;
    },
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      await redis.eval(releaseScript, 1, key, token);
    },
  };
}

