import type { ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Metrics } from '../../src/metrics.js';
import { startWeb, startWorkers } from '../../src/services.js';
import { createLogger } from '../../src/log.js';
import { keys } from '../../src/store/keys.js';
import { DriftlessHarness } from '../helpers/driftless.js';
import { cm } from '../helpers/manifests.js';
import { freePort } from '../helpers/process.js';
import { startRedisProgram } from '../helpers/redis-server.js';

// With redis.minReplicasToAcknowledge, a deploy's outcome is reported only once a replica holds
// the revision's settled state (Redis WAIT): a failover right after the report then cannot make
// a later sync give the commit a second, different outcome (the Sentinel chaos case). A replica
// that does not answer within redis.replicaTimeout delays the report by that much, never stops it.
// The replica is a real redis-server, paused with SIGSTOP so it acknowledges nothing.

const processes: ChildProcess[] = [];
let h: DriftlessHarness;
let primaryPort: number;
let replica: ChildProcess;
let replicaPort: number;

async function startRedis(args: string[], port: number): Promise<ChildProcess> {
  const child = await startRedisProgram('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...args], port);
  processes.push(child);
  return child;
}

beforeAll(async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'replicated-report-'));
  primaryPort = await freePort();
  replicaPort = await freePort();
  await startRedis(['--dir', dir, '--dbfilename', 'primary.rdb'], primaryPort);
  replica = await startRedis(['--dir', dir, '--dbfilename', 'replica.rdb', '--replicaof', '127.0.0.1', String(primaryPort)], replicaPort);
  const admin = new Redis(primaryPort, '127.0.0.1');
  try {
    for (let i = 0; !/^slave0:.*state=online/m.test(await admin.info('replication')); i++) {
      if (i === 300) throw new Error('the replica did not come online in 30 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    admin.disconnect();
  }

  const started = await DriftlessHarness.startInNewNamespace('replicated', { inProcess: false, endpoints: { redisUrl: `redis://127.0.0.1:${primaryPort}` } });
  h = started.h;
  h.config = { ...h.config, redis: { ...h.config.redis, minReplicasToAcknowledge: 1, replicaTimeout: 4_000 } };
  const log = createLogger({ level: 'debug', destination: h.logs });
  const metrics = new Metrics();
  h.web = await startWeb(h.config, 'test.yaml', log, metrics);
  h.workers = await startWorkers(h.config, log, { metrics });
}, 60_000);

afterAll(async () => {
  replica?.kill('SIGCONT');
  await h?.close();
  for (const p of processes) p.kill('SIGKILL');
});

const terminal = (sha: string) => h.statuses(sha).filter((s) => s.state !== 'pending');

/** The revision is settled on this Redis (what a sync after a failover to it would read). */
async function settledOn(port: number, sha: string): Promise<boolean> {
  const redis = new Redis(port, '127.0.0.1');
  try {
    return (await redis.zscore(keys(h.config.redis.prefix).settled(h.config.targets[0]!.name), sha)) !== null;
  } finally {
    redis.disconnect();
  }
}

/** Pauses the replica as soon as the delivery is acknowledged (the intake waited for it), before the deploy ends. */
async function pushWithReplicaPaused(value: string): Promise<{ sha: string; pausedAt: number }> {
  const { sha, res } = await h.commitAndPush(`value ${value}`, { 'deploy/app.yaml': cm('app', value) });
  expect(res.status).toBe(202);
  replica.kill('SIGSTOP');
  return { sha, pausedAt: Date.now() };
}

it('reports a deploy only once a replica holds its settled state', async () => {
  const { sha } = await pushWithReplicaPaused('1');
  // the deploy ends on the primary: settled there, no outcome reported while the replica is paused
  await expect.poll(() => settledOn(primaryPort, sha), { timeout: 30_000, interval: 100 }).toBe(true);
  await new Promise((r) => setTimeout(r, 1_000));
  expect(terminal(sha)).toEqual([]);
  replica.kill('SIGCONT');
  await expect.poll(() => terminal(sha).map((s) => s.state), { timeout: 30_000, interval: 100 }).toEqual(['success']);
  expect(await settledOn(replicaPort, sha)).toBe(true);
});

it('a replica that stays silent delays the report by redis.replicaTimeout, never stops it', async () => {
  const { sha, pausedAt } = await pushWithReplicaPaused('2');
  try {
    await expect.poll(() => terminal(sha).map((s) => s.state), { timeout: 30_000, interval: 100 }).toEqual(['success']);
    expect(Date.now() - pausedAt).toBeGreaterThanOrEqual(4_000);
    expect(h.logs.text).toContain('revision state not yet on a replica; reporting anyway');
  } finally {
    replica.kill('SIGCONT');
  }
});
