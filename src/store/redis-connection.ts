import { readFileSync } from 'node:fs';
import { Redis, type RedisOptions } from 'ioredis';
import type { RedisConfig } from '../config/schema.js';

/** `host:port` (IPv6 in brackets) as ioredis takes a Sentinel's address. */
function address(hostPort: string): { host: string; port: number } {
  const colon = hostPort.lastIndexOf(':');
  return { host: hostPort.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port: Number(hostPort.slice(colon + 1)) };
}

/** ioredis's TLS options from `redis.tls`, the files read now (a missing file throws ENOENT, naming it). */
function tlsOptions(tls: NonNullable<RedisConfig['tls']>): NonNullable<RedisOptions['tls']> {
  return {
    ca: tls.caFile ? readFileSync(tls.caFile, 'utf8') : undefined,
    cert: tls.certFile ? readFileSync(tls.certFile, 'utf8') : undefined,
    key: tls.keyFile ? readFileSync(tls.keyFile, 'utf8') : undefined,
    servername: tls.serverName,
  };
}

/**
 * A connection to the configured Redis, with `options` (timeouts, retries) on top:
 * - `redis.sentinel`: the primary `masterName` as the Sentinels report it. When the primary goes
 *   away, ioredis asks the Sentinels again and reconnects to whichever replica they promoted;
 *   a replica demoted under it (READONLY) makes it reconnect too.
 * - otherwise `redis.url`.
 * `username`/`password` win over the URL's; `tls` (or `rediss://`) means TLS, `sentinel.tls`
 * TLS to the Sentinels too. BullMQ's workers duplicate it, Sentinel settings included.
 */
export function connectRedis(config: RedisConfig, options: RedisOptions = {}): Redis {
  const auth: RedisOptions = {
    ...(config.username ? { username: config.username } : {}),
    ...(config.password ? { password: config.password } : {}),
    ...(config.tls ? { tls: tlsOptions(config.tls) } : {}),
  };
  if (config.sentinel) {
    const { masterName, nodes, username, password, tls } = config.sentinel;
    return new Redis({
      ...options,
      ...auth,
      sentinels: nodes.map(address),
      name: masterName,
      sentinelUsername: username,
      sentinelPassword: password,
      enableTLSForSentinelMode: tls,
      ...(tls && auth.tls ? { sentinelTLS: auth.tls } : {}),
      // a primary that became a replica answers writes with READONLY: find the new one
      reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 2 : false),
    });
  }
  // ioredis lets the URL's credentials win over the options: drop them when the config names its own
  const url = new URL(config.url);
  if (config.username) url.username = '';
  if (config.password) url.password = '';
  return new Redis(url.toString(), { ...options, ...auth });
}

/**
 * Waits until `replicas` replicas hold every write this connection made (Redis WAIT), for at
 * most `timeoutMs`; rejects when fewer did, so the caller answers 503 rather than acknowledge
 * writes a failover could lose. Nothing to wait for when `replicas` is 0.
 */
export async function waitForReplicas(redis: Redis, replicas: number, timeoutMs: number): Promise<void> {
  if (replicas === 0) return;
  const acknowledged = await redis.wait(replicas, timeoutMs);
  if (acknowledged < replicas) throw new Error(`only ${acknowledged} of ${replicas} Redis replicas acknowledged the writes within ${timeoutMs} ms`);
}
