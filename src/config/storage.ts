import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { duration } from './duration.js';
import { url } from './fields.js';

/** `host:port`, e.g. `redis-sentinel-0.redis:26379` or `[fd00::1]:26379`. */
const hostPort = z.string().regex(/^(\[[0-9a-fA-F:]+\]|[^\s:[\]]+):\d{1,5}$/, 'expected host:port');

/** TLS to Redis (and to Sentinels, with `sentinel.tls`); files are PEM, relative to the config file. */
const redisTlsSchema = z.strictObject({
  /** Certificate authorities that signed the server's certificate; default: the public ones. */
  caFile: z.string().min(1).optional(),
  /** A client certificate and its key, for servers that ask for one (mutual TLS). */
  certFile: z.string().min(1).optional(),
  keyFile: z.string().min(1).optional(),
  /** The name the server's certificate must carry, when it is not the host connected to (SNI too). */
  serverName: z.string().min(1).optional(),
});

/** `redis:` where queues, locks, revisions and history live. */
export const redisSchema = z
  .strictObject({
    /** A single Redis (or a proxy in front of one). The REDIS_URL environment variable overrides it. Not with `sentinel`. */
    url: url(/^rediss?$/, 'a redis:// or rediss:// URL').default('redis://127.0.0.1:6379'),
    /** ACL user and password (`${REDIS_PASSWORD}`), apart from the URL; they win over the URL's. */
    username: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    /** TLS options; present (even `{}`) means TLS, as a `rediss://` URL does. */
    tls: redisTlsSchema.optional(),
    /** Redis Sentinel: the primary named `masterName` as the Sentinels at `nodes` report it, followed across failovers. */
    sentinel: z
      .strictObject({
        masterName: z.string().min(1),
        nodes: z.array(hostPort).min(1),
        /** The Sentinels' own credentials, when they have any (`requirepass` in sentinel.conf). */
        username: z.string().min(1).optional(),
        password: z.string().min(1).optional(),
        /** Talk TLS to the Sentinels too, with the `tls` options. */
        tls: z.boolean().default(false),
      })
      .optional(),
    /**
     * Replicas that must hold a delivery's writes before the webhook is answered 202 (Redis
     * WAIT): with asynchronous replication, a primary lost right after answering would otherwise
     * take acknowledged deliveries with it. The workers wait for them too before reporting a
     * run's outcome, so a failover cannot give a commit a second, different outcome. 0 (the
     * default) waits for none.
     */
    minReplicasToAcknowledge: z.int().min(0).default(0),
    /**
     * How long the web waits for those replicas before answering 503 (the sender redelivers);
     * below the web's 1 s command timeout. A worker waits as long, then reports anyway.
     */
    replicaTimeout: duration.prefault('500ms'),
    /** Prefix of every key and queue. */
    prefix: z.string().min(1).default('driftless'),
  })
  .check((ctx) => {
    if (ctx.value.sentinel && ctx.value.url !== 'redis://127.0.0.1:6379') {
      ctx.issues.push({ code: 'custom', path: ['sentinel'], message: 'not together with url: Sentinel finds the primary itself (drop redis.url)', input: ctx.value.sentinel });
    }
    if (ctx.value.sentinel?.tls && !ctx.value.tls) {
      ctx.issues.push({ code: 'custom', path: ['sentinel', 'tls'], message: 'needs redis.tls (use {} for the public authorities)', input: true });
    }
  });

/** `git:` the local cache of fetched repositories. */
export const gitSchema = z.strictObject({
  /** Where fetched repositories are cached; relative paths are resolved against the file's directory. */
  cacheDir: z
    .string()
    .min(1)
    .default(() => path.join(os.tmpdir(), 'driftless-git')),
  /**
   * A PEM bundle of extra certificate authorities (a company's own) trusted for HTTPS besides
   * Node's built-in ones: by git fetches and by the provider, chart-repository and notification
   * clients. Relative paths are resolved against the file's directory.
   */
  caFile: z.string().min(1).optional(),
});
