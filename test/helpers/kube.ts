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
