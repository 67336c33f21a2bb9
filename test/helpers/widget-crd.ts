import { randomBytes } from 'node:crypto';
import type { KubeClient } from '../../src/kube/client.js';
import type { Discovery } from '../../src/kube/discovery.js';
import { getObject, serverSideApply } from '../../src/kube/objects.js';

/**
 * Installs a namespaced `Widget` CRD in a fresh group and waits until it is served. Without a
 * status subresource the conditions a manifest writes are what health checks read: a test can
 * make an object healthy (Ready=True) or degraded (Stalled=True) without controllers. With one,
 * the test plays the controller by writing /status.
 */
export async function installWidgetCrd(
  client: KubeClient,
  discovery: Discovery,
  options: { statusSubresource?: boolean } = {},
): Promise<{ apiVersion: string; plural: string; manifest: (name: string, condition?: 'Ready' | 'Stalled') => string }> {
  const group = `w${randomBytes(3).toString('hex')}.driftless.test`;
  const crdInfo = (await discovery.resourceFor('apiextensions.k8s.io/v1', 'CustomResourceDefinition'))!;
  await serverSideApply(client, crdInfo, {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `widgets.${group}` },
    spec: { group, scope: 'Namespaced', names: { kind: 'Widget', plural: 'widgets' }, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } }, ...(options.statusSubresource ? { subresources: { status: {} } } : {}) }] },
  });
  const apiVersion = `${group}/v1`;
  for (let served = false; !served; ) {
    const crd = await getObject(client, crdInfo, undefined, `widgets.${group}`);
    served = !!(crd?.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    if (!served) await new Promise((r) => setTimeout(r, 100));
  }
  // with a status subresource the manifest carries no status: whoever writes /status decides it
  const manifest = (name: string, condition?: 'Ready' | 'Stalled') =>
    !condition
      ? `apiVersion: ${apiVersion}\nkind: Widget\nmetadata:\n  name: ${name}\nspec:\n  size: 1\n`
      : `apiVersion: ${apiVersion}\nkind: Widget\nmetadata:\n  name: ${name}\nstatus:\n  conditions:\n    - type: ${condition}\n      status: "True"\n      reason: ${condition === 'Ready' ? 'AllGood' : 'OutOfCapacity'}\n      message: ${condition === 'Ready' ? 'ready' : 'no capacity left in the pool'}\n`;
  return { apiVersion, plural: 'widgets', manifest };
}
