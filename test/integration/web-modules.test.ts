import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushPayload, sign } from '../helpers/driftless.js';
import { freePort } from '../helpers/process.js';

const root = path.resolve(import.meta.dirname, '../..');

/**
 * What only the workers use: the reconciler and everything below it (git, render, helm,
 * kustomize, apply, prune, wait), reporting, pull request previews, the schedule, and the
 * Kubernetes client library, which the dashboard loads with its first target page.
 */
const workerOnly = [
  /\/src\/workers\//,
  /\/src\/sync\//,
  /\/src\/report\/(?!status\.ts$)/,
  /\/src\/pulls\//,
  /\/src\/queue\/schedule\.ts$/,
  /\/src\/kube\/objects\.ts$/,
  /\/src\/server\/objects\.ts$/,
  /\/node_modules\/@kubernetes\/client-node\//,
];

describe('driftless serve', () => {
  const secret = randomBytes(16).toString('hex');
  const output: string[] = [];
  let dir: string;
  let child: ChildProcess;
  let url: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'driftless-web-modules-'));
    const file = path.join(dir, 'driftless.yaml');
    await writeFile(
      file,
      `providers:\n  github: { webhookSecret: "${secret}" }\nclusters: { c: { kubeconfig: /dev/null } }\n` +
        `targets: [{ name: t, repo: "github:acme/shop", cluster: c, namespace: shop }]\nredis: { url: "${process.env.REDIS_URL}", prefix: "dl-modules-${randomBytes(4).toString('hex')}" }\n`,
    );
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, ['--import', 'tsx', '--import', path.join(root, 'test/helpers/module-trace.ts'), path.join(root, 'src/cli.ts'), 'serve', '--config', file], {
      cwd: root,
      env: { ...process.env, PORT: String(port), LOG_LEVEL: 'warn', MODULE_TRACE_FILE: path.join(dir, 'modules.txt') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (c: Buffer) => output.push(c.toString()));
    child.stderr?.on('data', (c: Buffer) => output.push(c.toString()));
    for (let i = 0; i < 600 && child.exitCode === null; i++) {
      if (await fetch(`${url}/readyz`).then((r) => r.ok, () => false)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`driftless serve did not start:\n${output.join('')}`);
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('takes a push and serves the dashboard without loading the workers\' modules or the Kubernetes client', { timeout: 60_000 }, async () => {
    const body = pushPayload({ repo: 'acme/shop', cloneUrl: 'https://example.invalid/shop.git', after: 'a'.repeat(40) });
    const delivery = await fetch(`${url}/webhooks/github`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': sign(secret, body) },
      body,
    });
    expect(delivery.status).toBe(202);
    expect((await fetch(`${url}/ui`, { redirect: 'manual' })).status).toBeLessThan(500);

    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    const loaded = (await readFile(path.join(dir, 'modules.txt'), 'utf8')).split('\n');
    // the trace sees the web's own modules, so an empty or broken trace cannot pass
    expect(loaded.filter((u) => /\/src\/(server\/intake|ui\/dashboard|services)\.ts$/.test(u))).toHaveLength(3);
    expect(loaded.filter((u) => workerOnly.some((pattern) => pattern.test(u)))).toEqual([]);
  });
});
