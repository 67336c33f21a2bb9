import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import { getObject } from '../../src/kube/objects.js';
import { HistoryStore } from '../../src/store/history.js';
import { keys } from '../../src/store/keys.js';
import { connectRedis } from '../../src/store/redis-connection.js';
import { DriftlessHarness, pushPayload, sign } from '../helpers/driftless.js';
import { cm } from '../helpers/manifests.js';
import { testKube } from '../helpers/kube.js';
import { freePort, startDriftless, warmUp, type DriftlessProcess } from '../helpers/process.js';
import { startRedisProgram } from '../helpers/redis-server.js';
import { recordResult, terminalStatuses } from './lib.js';

// A highly available Redis as production runs it: a primary, two replicas and three Sentinels
// (quorum 2), real redis-server and redis-sentinel processes (Debian's; scripts/debian-tools).
// Driftless finds the primary through the Sentinels and acknowledges a delivery only once a
// replica holds it (redis.minReplicasToAcknowledge: 1). The primary is SIGKILLed in the middle of
// a burst of pushes: no acknowledged delivery is lost, each ends with one terminal outcome, the
// workers carry on against the promoted replica, and the head is deployed once.
// The worker waits for a replica to hold a revision's settled state before it reports the
// outcome, so a job that ended just before the kill (its completion lost) runs again on the
// promoted replica and finds its revision settled: it may queue the same outcome a second time
// (the kept terminal report, at-least-once), never another one.

const processes: ChildProcess[] = [];
let driftless: DriftlessProcess | undefined;
let h: DriftlessHarness | undefined;
afterAll(async () => {
  // what the process logged, to read after a failure (CI shows only the end of the output)
  if (driftless) await writeFile(path.resolve(import.meta.dirname, '../../.testenv/chaos-sentinel.log'), driftless.output.join('')).catch(() => undefined);
  driftless?.child.kill('SIGKILL');
  for (const p of processes) p.kill('SIGKILL');
  await h?.close();
});

const { client, discovery } = testKube();
const master = 'driftless';

/** Starts a Redis program and waits until it answers PING; killed after the test. */
async function start(file: string, args: string[], port: number): Promise<ChildProcess> {
  const child = await startRedisProgram(file, args, port);
  processes.push(child);
  return child;
}

it('a Sentinel failover mid-burst loses no acknowledged delivery and the workers carry on', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'chaos-sentinel-'));
  const [primary, ...replicas] = [await freePort(), await freePort(), await freePort()];
  const server = (port: number, extra: string[] = []) => ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--dbfilename', `${port}.rdb`, '--appendonly', 'yes', '--appendfilename', `${port}.aof`, '--appenddirname', `aof-${port}`, '--save', '', ...extra];
  const primaryProcess = await start('redis-server', server(primary!), primary!);
  for (const port of replicas) await start('redis-server', server(port, ['--replicaof', '127.0.0.1', String(primary)]), port);
  const sentinels: number[] = [];
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    const conf = path.join(dir, `sentinel-${port}.conf`);
    // sentinel rewrites its file with what it learns: each its own
    await writeFile(conf, [`port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, `sentinel monitor ${master} 127.0.0.1 ${primary} 2`, `sentinel down-after-milliseconds ${master} 1000`, `sentinel failover-timeout ${master} 10000`, ''].join('\n'));
    await start('redis-sentinel', [conf], port);
    sentinels.push(port);
  }
  const sentinel = { masterName: master, nodes: sentinels.map((p) => `127.0.0.1:${p}`) };
  // both replicas in sync before the burst, so WAIT has someone to wait for
  const admin = new Redis(primary!, '127.0.0.1');
  await expect.poll(async () => (await admin.info('replication')).match(/^slave\d+:.*state=online/gm)?.length ?? 0, { timeout: 30_000 }).toBe(2);
  admin.disconnect();

  const started = await DriftlessHarness.startInNewNamespace('sentinel', { inProcess: false, endpoints: { redisUrl: `redis://127.0.0.1:${primary}` } });
  h = started.h;
  const { namespace } = started;
  const configFile = path.join(dir, 'driftless.yaml');
  const redisYaml = `redis: { sentinel: { masterName: ${master}, nodes: [${sentinel.nodes.join(', ')}] }, minReplicasToAcknowledge: 1, prefix: "${h.config.redis.prefix}" }`;
  const configYaml = h.configYaml.replace(/^redis: .*$/m, redisYaml).replace('server: { port: 0 }', 'server: { port: 0, shutdownGracePeriod: 1s }');
  expect(configYaml).toContain(redisYaml);
  await writeFile(configFile, configYaml);
  // no REDIS_URL: the Sentinels say where the primary is
  driftless = await startDriftless(configFile, { env: { REDIS_URL: undefined } });
  await warmUp(driftless.port, h.secret);

  const port = driftless.port;
  const deliver = async (body: string, deliveryId: string) => {
    const res = await fetch(`http://127.0.0.1:${port}/webhooks/github`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': deliveryId, 'x-hub-signature-256': sign(h!.secret, body) },
      body,
      signal: AbortSignal.timeout(10_000),
    }).catch(() => undefined);
    const answer = (await res?.json().catch(() => undefined)) as { result?: string } | undefined;
    return `${res?.status ?? 0}${answer?.result ? ` ${answer.result}` : ''}`;
  };
  const acknowledged: string[] = [];
  const refused: { sha: string; body: string; deliveryId: string }[] = [];
  let killedAt = 0;
  for (let i = 1; i <= 16; i++) {
    if (i === 9) {
      primaryProcess.kill('SIGKILL');
      await new Promise((r) => primaryProcess.once('exit', r));
      killedAt = Date.now();
    }
    const before = await h.repo.head().catch(() => '0'.repeat(40));
    const sha = await h.repo.commit(`burst ${i}`, { 'deploy/app.yaml': cm('app', String(i)) });
    const body = pushPayload({ repo: h.repoName, cloneUrl: 'https://example.invalid/x.git', before, after: sha, paths: ['deploy/app.yaml'] });
    const deliveryId = randomUUID();
    if ((await deliver(body, deliveryId)) === '202 queued') acknowledged.push(sha);
    else refused.push({ sha, body, deliveryId });
  }
  // what was refused during the failover is redelivered, as the sender would, until it is taken
  // in: 202, or 200 "duplicate" when the refused copy's jobs and "done" survived but its forget did
  // not reach Redis (its jobs exist, so nothing is lost); a copy still held answers 503 for ≤ 15 s
  let duplicates = 0;
  for (const r of refused) {
    let answer = '';
    await expect.poll(async () => (answer = await deliver(r.body, r.deliveryId)), { timeout: 60_000, interval: 250 }).toBeOneOf(['202 queued', '200 duplicate']);
    if (answer === '200 duplicate') duplicates++;
    acknowledged.push(r.sha);
  }
  const head = await h.repo.head();
  const value = async () => ((await getObject(client, (await discovery.resourceFor('v1', 'ConfigMap'))!, namespace, 'app'))?.data as { value?: string } | undefined)?.value;
  await expect.poll(value, { timeout: 90_000, interval: 500 }).toBe('16');
  // newest first: the commit's last status is terminal, and every terminal status it got says the same
  const outcomes = (sha: string) => new Set(terminalStatuses(h!, sha, namespace).map((s) => `${s.state} ${s.description}`));
  const settled = (sha: string) => outcomes(sha).size === 1 && h!.statuses(sha).find((s) => s.context === `driftless/${namespace}`)?.state !== 'pending';
  const notOnce = () => acknowledged.filter((sha) => !settled(sha)).map((sha) => ({ sha: sha.slice(0, 7), statuses: h!.statuses(sha).map((s) => `${s.state} ${s.description}`) }));
  await expect.poll(notOnce, { timeout: 90_000, interval: 500 }).toEqual([]);
  const convergeMs = Date.now() - killedAt;
  expect([...outcomes(head)]).toEqual([expect.stringMatching(/^success deployed/)]);

  // one of the replicas is the primary now, and the history it holds has the head, deployed once
  const promoted = connectRedis({ ...h.config.redis, sentinel: { ...sentinel, tls: false } }, { maxRetriesPerRequest: 3 });
  try {
    expect(((await promoted.call('ROLE')) as unknown[])[0]).toBe('master');
    const asked = new Redis(sentinels[0]!, '127.0.0.1');
    const [, promotedPort] = (await asked.call('SENTINEL', 'get-master-addr-by-name', master)) as [string, string];
    asked.disconnect();
    expect(replicas.map(String)).toContain(promotedPort);
    const history = await new HistoryStore(promoted, keys(h.config.redis.prefix)).list(namespace, 100);
    const deploys = history.filter((e) => e.result === 'succeeded').map((e) => e.revision);
    expect(deploys).toContain(head);
    expect(new Set(deploys).size).toBe(deploys.length);
    // the same process did it all: the failover cost 503s ("delivery could not be queued"), never the process
    expect(driftless.child.exitCode).toBeNull();
    expect(driftless.output.join('')).not.toContain('"level":60');
    const output = driftless.output.join('');
    const rewritten = output.split('writing it again').length - 1;
    recordResult({
      case: 'redis-sentinel-failover',
      fault: 'Redis primary (of 1 primary, 2 replicas, 3 Sentinels) SIGKILLed after 8 of 16 pushes; a replica promoted',
      asserted: `${acknowledged.length} acknowledged deliveries (${refused.length} redelivered after 503, ${duplicates} of them found taken in), each ending with one terminal outcome (${acknowledged.filter((sha) => terminalStatuses(h!, sha, namespace).length > 1).length} of them posted twice, identically, after the failover); head deployed; ${deploys.length} deploys, none twice; ${rewritten} outcome record(s) lost in the failover and written again`,
      convergeMs,
    });
  } finally {
    promoted.disconnect();
  }
});
