import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../src/store/keys.js';
import { DriftlessHarness, pushPayload, sign } from '../helpers/driftless.js';
import { createNamespace, testKube, uniqueName } from '../helpers/kube.js';
import { installWidgetCrd } from '../helpers/widget-crd.js';
import { freePort, startDriftless, warmUp } from '../helpers/process.js';

const logs: string[][] = [];
const { client, discovery } = testKube();

describe('SIGTERM during a sync', () => {
  let h: DriftlessHarness;
  let namespace: string;
  let redis: Redis;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    namespace = uniqueName('term');
    await createNamespace(client, namespace);
    // the test creates the widget before Git declares it, to hold its status: the target adopts it
    h = await DriftlessHarness.start({ namespace, inProcess: false, targetYaml: '    wait: { timeout: 5m }\n    ownership: { adopt: all }' });
    redis = new Redis(process.env.REDIS_URL!);
  });
  afterAll(async () => {
    if (process.env.SHOW_CHILD_LOGS) console.log(logs.flat().join(''));
    for (const c of children) c.kill('SIGKILL');
    await redis.quit();
    await h?.close();
    client.close();
  });

  it('hands the job back without leaving the target locked, and the job completes after restart', async () => {
    const widget = await installWidgetCrd(client, discovery, { statusSubresource: true });
    const base = `/apis/${widget.apiVersion}/namespaces/${namespace}/widgets`;
    // the "controller" says not ready yet: the sync will sit in its wait stage
    await client.request('POST', base, { body: { apiVersion: widget.apiVersion, kind: 'Widget', metadata: { name: 'slow' }, spec: { size: 1 } } });
    const setReady = (status: 'True' | 'False') =>
      client.request('PATCH', `${base}/slow/status`, { body: { status: { conditions: [{ type: 'Ready', status, reason: status === 'True' ? 'Done' : 'Provisioning' }] } }, contentType: 'application/merge-patch+json' });
    await setReady('False');

    const configFile = path.join(await mkdtemp(path.join(os.tmpdir(), 'term-')), 'driftless.yaml');
    await writeFile(configFile, h.configYaml.replace('server: { port: 0 }', 'server: { port: 0, shutdownGracePeriod: 1s }'));
    const port = await freePort();
    const started = await startDriftless(configFile, { port });
    await warmUp(port, h.secret);
    const first = started.child;
    logs.push(started.output);
    children.push(first);

    const sha = await h.repo.commit('slow widget', { 'deploy/widget.yaml': widget.manifest('slow') });
    const body = pushPayload({ repo: h.repoName, cloneUrl: 'x', after: sha, paths: ['deploy/widget.yaml'] });
    const res = await fetch(`http://127.0.0.1:${port}/webhooks/github`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': randomBytes(8).toString('hex'), 'x-hub-signature-256': sign(h.secret, body) },
      body,
    });
    expect(res.status).toBe(202);
    await expect.poll(() => h.statuses(sha).some((s) => s.description?.startsWith('waiting: 0/1')), { timeout: 30_000 }).toBe(true);

    first.kill('SIGTERM');
    expect(await started.exited).toBe(0);
    const k = keys(h.config.redis.prefix);
    expect(await redis.exists(k.lock(namespace))).toBe(0);
    const queue = new Queue('sync', { connection: redis.duplicate(), prefix: h.config.redis.prefix });
    const counts = await queue.getJobCounts('waiting', 'active', 'completed', 'failed');
    await queue.close();
    expect(counts).toMatchObject({ waiting: 1, active: 0, failed: 0 });

    await setReady('True');
    const restarted = await startDriftless(configFile, { port });
    const second = restarted.child;
    logs.push(restarted.output);
    children.push(second);
    await expect.poll(() => h.statuses(sha).find((s) => s.state !== 'pending')?.state, { timeout: 60_000 }).toBe('success');
    second.kill('SIGTERM');
  });
});
