import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { getObject } from '../../src/kube/objects.js';
import { cm } from '../helpers/manifests.js';
import { testKube } from '../helpers/kube.js';
import { freePort } from '../helpers/process.js';
import { recordResult, startChaosTarget, terminalStatuses, type ChaosTarget } from './lib.js';

// Redis is SIGKILLed in the middle of a burst of pushes and restarted from its append-only file:
// no acknowledged (202) delivery is lost; every acknowledged commit ends with exactly one terminal
// status; the target converges to the branch head; no commit is deployed twice.

let target: ChaosTarget | undefined;
let redis: ChildProcess | undefined;
afterAll(async () => {
  await target?.close();
  redis?.kill('SIGKILL');
});

const { client, discovery } = testKube();

async function startRedis(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    const up = await fetch(`http://127.0.0.1:${port}`).then(() => true, (err: { cause?: { code?: string } }) => err.cause?.code !== 'ECONNREFUSED');
    if (up) return child;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('redis-server did not start');
}

it('no acknowledged delivery is lost when Redis is killed mid-burst and restarted with AOF', async () => {
  const port = await freePort();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'chaos-redis-'));
  redis = await startRedis(port, dir);
  target = await startChaosTarget('redis-kill', { endpoints: { redisUrl: `redis://127.0.0.1:${port}` } });
  const { h, namespace } = target;
  expect(target.logs()).not.toContain('Redis persistence is off');

  const acknowledged: string[] = [];
  const refused: { sha: string; body: string; deliveryId: string }[] = [];
  for (let i = 1; i <= 16; i++) {
    if (i === 9) {
      redis.kill('SIGKILL');
      await new Promise((r) => redis!.once('exit', r));
    }
    if (i === 13) redis = await startRedis(port, dir);
    const pushed = await target.push(`burst ${i}`, { 'deploy/app.yaml': cm('app', String(i)) });
    if (pushed.status === 202) acknowledged.push(pushed.sha);
    else refused.push(pushed);
  }
  const restartedAt = Date.now();
  // what was refused while Redis was down is redelivered, as the sender would
  for (const r of refused) {
    await expect.poll(() => target!.deliver(r.body, r.deliveryId), { timeout: 30_000, interval: 250 }).toBe(202);
    acknowledged.push(r.sha);
  }
  const head = await h.repo.head();
  const value = async () => ((await getObject(client, (await discovery.resourceFor('v1', 'ConfigMap'))!, namespace, 'app'))?.data as { value?: string } | undefined)?.value;
  await expect.poll(value, { timeout: 90_000, interval: 500 }).toBe('16');
  const notOnce = () => acknowledged.filter((sha) => terminalStatuses(h, sha, namespace).length !== 1).map((sha) => ({ sha: sha.slice(0, 7), burst: acknowledged.indexOf(sha) + 1, statuses: h.statuses(sha).map((s) => `${s.state} ${s.description}`) }));
  await expect.poll(notOnce, { timeout: 90_000, interval: 500 }).toEqual([]);
  const convergeMs = Date.now() - restartedAt;
  expect(terminalStatuses(h, head, namespace).map((s) => s.description)).toEqual([expect.stringMatching(/^deployed/)]);
  const history = await h.history(namespace);
  const deploys = history.filter((e) => e.result === 'succeeded').map((e) => e.revision);
  expect(deploys).toContain(head);
  expect(new Set(deploys).size).toBe(deploys.length);
  recordResult({
    case: 'redis-kill-mid-burst',
    fault: 'Redis SIGKILLed after 8 of 16 pushes, down for 4, restarted from its AOF',
    asserted: `${acknowledged.length} acknowledged deliveries (${refused.length} redelivered after 503), each with exactly one terminal status; head deployed; ${deploys.length} deploys, none twice`,
    convergeMs,
  });
});
