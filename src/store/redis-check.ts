import type { Redis } from 'ioredis';
import { DriftlessError } from '../errors.js';
import type { Logger } from '../log.js';

/** Redis is set up in a way that loses queued work; the message says how to fix it. */
export class RedisSetupError extends DriftlessError {
  override readonly permanent = true;
}

function field(info: string, name: string): string | undefined {
  return info.match(new RegExp(`^${name}:(.*)$`, 'm'))?.[1]?.trim();
}

/** Resolves when Redis answers a PING: the web's readiness. */
export async function pingRedis(redis: Redis): Promise<void> {
  await redis.ping();
}

/**
 * Checked before workers start: an evicting Redis can silently drop queued deploys and locks
 * (BullMQ requires `maxmemory-policy noeviction`), so that refuses to start; a Redis without
 * persistence loses the queue on restart, which is only warned about (fine for trials).
 */
export async function checkRedis(redis: Redis, log: Logger): Promise<void> {
  const memory = await redis.info('memory');
  const policy = field(memory, 'maxmemory_policy');
  if (policy && policy !== 'noeviction') {
    throw new RedisSetupError(
      `Redis maxmemory-policy is ${policy}: it may evict queued deploys and locks. Set it to noeviction ` +
        `(redis.conf: maxmemory-policy noeviction, or CONFIG SET maxmemory-policy noeviction; on managed Redis, in its parameter group).`,
    );
  }
  const persistence = await redis.info('persistence');
  const aof = field(persistence, 'aof_enabled') === '1';
  // managed Redis often disables CONFIG: then only AOF can be judged
  const save = await redis.config('GET', 'save').then((r) => String((r as string[])[1] ?? ''), () => undefined);
  if (!aof && save === '') {
    log.warn('Redis persistence is off (no AOF, no RDB snapshots): a Redis restart loses queued deploys and history. Enable appendonly yes for production.');
  }
}
