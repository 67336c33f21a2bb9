import type { Redis, RedisOptions } from 'ioredis';
import type { Config, TargetConfig } from './config/schema.js';
import { KubeClient } from './kube/client.js';
import { Discovery } from './kube/discovery.js';
import type { Logger } from './log.js';
import { Metrics } from './metrics.js';
import { createProviders, sourceFor, type Providers } from './providers/index.js';
import { createQueues, type Queues } from './queue/queues.js';
import { DeliveryStore } from './store/deliveries.js';
import { HistoryStore } from './store/history.js';
import { PullHoldStore } from './store/holds.js';
import { CreationLockStore, ReportLockStore, SyncLockStore } from './store/locks.js';
import { PullStore } from './store/pulls.js';
import { keys, type Keys } from './store/keys.js';
import { connectRedis, waitForReplicas } from './store/redis-connection.js';
import { RevisionStore } from './store/revisions.js';
import { StatusRankStore } from './store/status-ranks.js';
import type { SyncSource } from './sync/pipeline.js';

/** Everything a process shares: config, Redis, queues, stores, providers and cluster clients. */
export interface Runtime {
  config: Config;
  log: Logger;
  metrics: Metrics;
  redis: Redis;
  queues: Queues;
  keys: Keys;
  revisions: RevisionStore;
  history: HistoryStore;
  pulls: PullStore;
  /** A pull request's hold on a target (`/lock`). */
  holds: PullHoldStore;
  /** The sync lock: one sync per target at a time. */
  syncLocks: SyncLockStore;
  creationLocks: CreationLockStore;
  /** The report worker's locks: one render of a pull request's comment, one writer of a target's deployment records. */
  reportLocks: ReportLockStore;
  statusRanks: StatusRankStore;
  deliveries: DeliveryStore;
  /**
   * Resolves once `redis.minReplicasToAcknowledge` replicas hold every write made so far (Redis
   * WAIT), so a failover cannot lose them; rejects when fewer did within `redis.replicaTimeout`.
   * Absent when the setting is 0: no replicas to wait for.
   */
  replicated?: () => Promise<void>;
  providers: Providers;
  target(name: string): TargetConfig | undefined;
  cluster(name: string): { client: KubeClient; discovery: Discovery };
  /** Clone URL and credentials of a target's repository at a commit. */
  source(target: TargetConfig, sha: string): Promise<SyncSource>;
  close(): Promise<void>;
}

/**
 * The web answers within a second or not at all: with Redis down, commands fail at once
 * instead of queueing in memory. Workers block on Redis, which BullMQ requires to never time out.
 */
const redisOptions: Record<'web' | 'worker', RedisOptions> = {
  // concurrent deliveries share round trips: ioredis sends their commands in one pipeline. Its
  // Pipeline copies BullMQ's scripts per flush, but without it every command is a socket write of
  // its own: the intake bench measured the same web CPU per delivery and twice Redis's CPU
  web: { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 1_000, connectTimeout: 1_000, enableAutoPipelining: true },
  worker: { maxRetriesPerRequest: null },
};

/** The role's Redis connection, connecting now; its errors are logged (ioredis reconnects by itself). */
function openRedis(config: Config, log: Logger, role: 'web' | 'worker'): Redis {
  const redis = connectRedis(config.redis, { ...redisOptions[role], lazyConnect: false });
  redis.on('error', (err: Error) => log.warn({ err: err.message }, 'Redis connection error'));
  return redis;
}

/** A client for one configured cluster. */
export function connectCluster(config: Config, name: string): { client: KubeClient; discovery: Discovery } {
  const connection = config.clusters[name];
  if (!connection) throw new Error(`unknown cluster ${name}`);
  const client = KubeClient.fromConnection(connection);
  return { client, discovery: new Discovery(client) };
}

export function createRuntime(config: Config, log: Logger, role: 'web' | 'worker', metrics: Metrics = new Metrics()): Runtime {
  const redis = openRedis(config, log, role);
  const k = keys(config.redis.prefix);
  const providers = createProviders(config);
  const targets = new Map(config.targets.map((t) => [t.name, t]));
  const clusters = new Map<string, { client: KubeClient; discovery: Discovery }>();
  const queues = createQueues(redis, config.redis.prefix, log);
  metrics.watchQueues(queues.sync, queues.report);
  return {
    config,
    log,
    metrics,
    redis,
    queues,
    keys: k,
    revisions: new RevisionStore(redis, k),
    history: new HistoryStore(redis, k),
    pulls: new PullStore(redis, k),
    holds: new PullHoldStore(redis, k),
    syncLocks: new SyncLockStore(redis, k),
    creationLocks: new CreationLockStore(redis, k),
    reportLocks: new ReportLockStore(redis, k),
    statusRanks: new StatusRankStore(redis, k),
    deliveries: new DeliveryStore(redis, k),
    replicated: config.redis.minReplicasToAcknowledge > 0 ? () => waitForReplicas(redis, config.redis.minReplicasToAcknowledge, config.redis.replicaTimeout) : undefined,
    providers,
    target: (name) => targets.get(name),
    cluster(name) {
      let c = clusters.get(name);
      if (!c) {
        c = connectCluster(config, name);
        clusters.set(name, c);
      }
      return c;
    },
    source: (target, sha) => sourceFor(providers, target, sha),
    async close() {
      await this.queues.close();
      for (const c of clusters.values()) c.client.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** What the read-only commands (`status`, `history`) use: the stores they read, over one Redis connection. */
export interface ReadRuntime {
  config: Config;
  revisions: RevisionStore;
  history: HistoryStore;
  holds: PullHoldStore;
  close(): Promise<void>;
}

/**
 * A runtime for commands that only read. No queues: a BullMQ Queue writes its `:meta` key when
 * it connects, and a command that reports state must not change it (nor create a prefix's keys
 * when pointed at the wrong one).
 */
export function createReadRuntime(config: Config, log: Logger): ReadRuntime {
  const redis = openRedis(config, log, 'worker');
  const k = keys(config.redis.prefix);
  return {
    config,
    revisions: new RevisionStore(redis, k),
    history: new HistoryStore(redis, k),
    holds: new PullHoldStore(redis, k),
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
