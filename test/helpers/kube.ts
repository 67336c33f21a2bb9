import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { KubeClient } from '../../src/kube/client.js';
import { Discovery } from '../../src/kube/discovery.js';

/** An admin client for the test API server started by the global setup. */
export function testKube(): { client: KubeClient; discovery: Discovery } {
  const kubeconfig = process.env.KUBECONFIG;
  if (!kubeconfig) throw new Error('KUBECONFIG is not set: the global setup (scripts/testenv up) did not run');
  const client = KubeClient.fromConnection({ kubeconfig });
  return { client, discovery: new Discovery(client) };
}

/** A fresh namespace name, so test files running in parallel never share objects. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

export async function createNamespace(client: KubeClient, name: string): Promise<void> {
  await client.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } });
}

/**
 * Adds kube-controller-manager, kube-scheduler and kwok to the running test environment
 * (idempotent; the first run on a machine may compile them) and loads the updated env file.
 */
export async function withControllers(): Promise<void> {
  const root = path.resolve(import.meta.dirname, '../..');
  const envDir = process.env.DRIFTLESS_TESTENV_DIR ?? path.join(root, '.testenv');
  await promisify(execFile)(path.join(root, 'scripts', 'testenv'), ['up', '--with-controllers'], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
  for (const line of readFileSync(path.join(envDir, 'env'), 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) process.env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  if (process.env.CONTROLLERS !== '1') {
    throw new Error(`${envDir}/env has no CONTROLLERS=1: run \`scripts/testenv up --with-controllers\` and see ${envDir}/*.log`);
  }
}
