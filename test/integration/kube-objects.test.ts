import { afterAll, describe, expect, it } from 'vitest';
import type { ResourceInfo } from '../../src/kube/discovery.js';
import { fieldManager, getObject, serverSideApply } from '../../src/kube/objects.js';
import { createNamespace, testKube, uniqueName } from '../helpers/kube.js';

const { client, discovery } = testKube();
afterAll(() => client.close());

// That the API server answers, and is a kube-apiserver of the expected version, is checked once
// by the global setup (test/helpers/global-setup.ts). These are the kube/ helpers against it.
describe('kube/objects and kube/discovery against the real API server', () => {
  it('applies a ConfigMap with server-side apply as field manager driftless', async () => {
    const namespace = uniqueName('objects');
    await createNamespace(client, namespace);
    const info = await discovery.resourceFor('v1', 'ConfigMap');
    expect(info).toMatchObject({ plural: 'configmaps', namespaced: true });
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace }, data: { color: 'blue' } };
    await serverSideApply(client, info!, cm);
    const live = await getObject(client, info!, namespace, 'settings');
    expect(live?.data).toEqual({ color: 'blue' });
    const managers = (live?.metadata.managedFields as { manager: string; operation: string }[]).map((m) => [m.manager, m.operation]);
    expect(managers).toContainEqual([fieldManager, 'Apply']);
  });

  it('applies a CRD and, once it is established, one of its custom resources', async () => {
    const group = `${uniqueName('objects')}.driftless.test`;
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `widgets.${group}` },
      spec: {
        group,
        scope: 'Namespaced',
        names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } } } }],
      },
    };
    const crdInfo = await discovery.resourceFor('apiextensions.k8s.io/v1', 'CustomResourceDefinition');
    await serverSideApply(client, crdInfo!, crd);
    await expect.poll(async () => {
      const live = await getObject(client, crdInfo!, undefined, crd.metadata.name);
      const conditions = (live?.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [];
      return conditions.some((c) => c.type === 'Established' && c.status === 'True');
    }, { timeout: 20_000 }).toBe(true);

    let widgetInfo: ResourceInfo | undefined;
    await expect.poll(async () => (widgetInfo = await discovery.resourceFor(`${group}/v1`, 'Widget')), { timeout: 10_000, interval: 1100 }).toBeDefined();
    const namespace = uniqueName('objects');
    await createNamespace(client, namespace);
    const widget = { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'w', namespace }, spec: { size: 3 } };
    await serverSideApply(client, widgetInfo!, widget);
    const live = await getObject(client, widgetInfo!, namespace, 'w');
    expect(live?.spec).toEqual({ size: 3 });
  });
});
