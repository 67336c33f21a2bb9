import { afterAll, describe, expect, it } from 'vitest';
import type { ResourceInfo } from '../../src/kube/discovery.js';
import { fieldManager, getObject, serverSideApply, type KubeObject } from '../../src/kube/objects.js';
import { createNamespace, testKube, uniqueName } from '../helpers/kube.js';

const { client, discovery } = testKube();
afterAll(() => client.close());

describe('the test API server is a real kube-apiserver', () => {
  it('serves kube-system and reports a real version', async () => {
    const ns = await client.request<KubeObject>('GET', '/api/v1/namespaces/kube-system');
    expect(ns.metadata.name).toBe('kube-system');
    const version = await client.request<{ major: string; minor: string; gitVersion: string }>('GET', '/version');
    expect(version.major).toBe('1');
    expect(Number(version.minor)).toBeGreaterThanOrEqual(36);
  });

  it('applies a ConfigMap with server-side apply as field manager driftless', async () => {
    const namespace = uniqueName('smoke');
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
    const group = `${uniqueName('smoke')}.driftless.test`;
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
    const namespace = uniqueName('smoke');
    await createNamespace(client, namespace);
    const widget = { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'w', namespace }, spec: { size: 3 } };
    await serverSideApply(client, widgetInfo!, widget);
    const live = await getObject(client, widgetInfo!, namespace, 'w');
    expect(live?.spec).toEqual({ size: 3 });
  });
});
