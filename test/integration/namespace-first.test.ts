import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { KubeObject } from '../../src/kube/objects.js';
import { getObject, serverSideApply } from '../../src/kube/objects.js';
import type { ManifestError } from '../../src/errors.js';
import { apply } from '../../src/sync/apply.js';
import type { Change } from '../../src/sync/changeset.js';
import { applySetKeys, applySetParent } from '../../src/sync/inventory.js';
import type { Manifest } from '../../src/sync/manifest.js';
import { plan, type PlanContext } from '../../src/sync/plan.js';
import { prune } from '../../src/sync/prune.js';
import { createNamespace, testKube, uniqueName, withControllers } from '../helpers/kube.js';
import { ownershipSchema } from '../../src/config/schema.js';

// Issue 11 item 6: a target whose Git holds the Namespace of its own namespace, which is also
// its inventory namespace (where the ApplySet parent Secret lives), as shared case 21 does.
const { client, discovery } = testKube();
afterAll(() => client.close());

const namespaceManifest = (name: string): Manifest => ({ file: 'deploy/namespace.yaml', object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } });
const configMap = (name: string, level: string, namespace?: string): Manifest => ({
  file: `deploy/${name}.yaml`,
  object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(namespace ? { namespace } : {}) }, data: { level } } as Manifest['object'],
});

async function sync(manifests: Manifest[], ctx: PlanContext): Promise<Record<string, Change>> {
  const planned = await plan(manifests, ctx);
  const changes = [...(await apply(planned, ctx)), ...(await prune(planned, ctx))];
  return Object.fromEntries(changes.map((c) => [c.subject, c]));
}

const live = async (apiVersion: string, kind: string, namespace: string | undefined, name: string): Promise<KubeObject | undefined> =>
  getObject(client, (await discovery.resourceFor(apiVersion, kind))!, namespace, name);
const resourceVersion = (o: KubeObject | undefined) => Number(o?.metadata.resourceVersion);

describe('a target whose Git creates its own (inventory) namespace', () => {
  const app = uniqueName('nsfirst');
  const other = uniqueName('nsfirst-other');
  const parent = applySetParent('t', app);
  const ctx: PlanContext = {
    client,
    discovery,
    parent,
    policy: { namespace: app, allowedNamespaces: [app, other], allowClusterScoped: false, prune: true, concurrency: 8, ownership: ownershipSchema.parse({}) },
  };
  const elsewhere = configMap('elsewhere', 'debug', other);
  const hold = 'test.driftless.io/hold';
  // the namespace controller empties and removes a deleted namespace
  beforeAll(async () => {
    await withControllers();
    await createNamespace(client, other);
  });

  it('deploys the namespace, its ConfigMap and the inventory in one sync', async () => {
    expect(await live('v1', 'Namespace', undefined, app)).toBeUndefined();
    const changes = await sync([namespaceManifest(app), configMap('app-config', 'info'), elsewhere], ctx);
    expect(changes[`Namespace/${app}`]?.action).toBe('created');
    expect(changes[`ConfigMap/${app}/app-config`]?.action).toBe('created');

    const namespace = await live('v1', 'Namespace', undefined, app);
    const config = await live('v1', 'ConfigMap', app, 'app-config');
    const secret = await live('v1', 'Secret', app, parent.name);
    expect((namespace?.status as { phase?: string } | undefined)?.phase).toBe('Active');
    expect(config?.data).toEqual({ level: 'info' });
    expect(secret?.metadata.annotations?.[applySetKeys.groupKinds]).toBe('ConfigMap,Namespace');
    // etcd's revisions order the writes: the namespace, then the inventory, then the other members
    expect(resourceVersion(namespace)).toBeLessThan(resourceVersion(secret));
    expect(resourceVersion(secret)).toBeLessThan(resourceVersion(config));
  });

  it('finds nothing to change in a second sync of the same commit', async () => {
    const changes = await sync([namespaceManifest(app), configMap('app-config', 'info'), elsewhere], ctx);
    expect(Object.values(changes).map((c) => c.action)).toEqual(['unchanged', 'unchanged', 'unchanged']);
  });

  it('keeps the namespace while Git still deploys into it', async () => {
    const changes = await sync([configMap('app-config', 'info'), elsewhere], ctx);
    expect(changes[`Namespace/${app}`]).toMatchObject({ action: 'skipped', reason: `kept: Git still deploys ConfigMap/${app}/app-config into it` });
    expect((await live('v1', 'Namespace', undefined, app))?.metadata.deletionTimestamp).toBeUndefined();
  });

  it('keeps the namespace while its inventory records members in other namespaces', async () => {
    const changes = await sync([elsewhere], ctx);
    expect(changes[`ConfigMap/${app}/app-config`]?.action).toBe('deleted');
    expect(changes[`Namespace/${app}`]).toMatchObject({ action: 'skipped', reason: expect.stringContaining(`Secret/${app}/${parent.name}`) });
    expect(await live('v1', 'ConfigMap', app, 'app-config')).toBeUndefined();
    const secret = await live('v1', 'Secret', app, parent.name);
    expect(secret?.metadata.annotations?.[applySetKeys.groupKinds]).toBe('ConfigMap,Namespace');
    expect(secret?.metadata.annotations?.[applySetKeys.namespaces]).toBe(other);
  });

  it('deletes the namespace last when Git holds nothing more, and syncs again while it terminates and once it is gone', async () => {
    // a finalizer holds the parent Secret, so the namespace stays terminating as long as we need
    await client.request('PATCH', `/api/v1/namespaces/${app}/secrets/${parent.name}`, { body: { metadata: { finalizers: [hold] } }, contentType: 'application/merge-patch+json' });
    // Git drops everything on purpose: emptying a target needs its opt-in
    const emptying: PlanContext = { ...ctx, policy: { ...ctx.policy, ownership: { ...ctx.policy.ownership, allowMassPrune: true } } };
    const changes = await sync([], emptying);
    expect(changes[`ConfigMap/${other}/elsewhere`]?.action).toBe('deleted');
    expect(changes[`Namespace/${app}`]?.action).toBe('deleted');
    expect(await live('v1', 'ConfigMap', other, 'elsewhere')).toBeUndefined();
    expect((await live('v1', 'Namespace', undefined, app))?.metadata.deletionTimestamp).toBeDefined();

    const terminating = await sync([], emptying);
    expect(terminating).toEqual({ [`Namespace/${app}`]: expect.objectContaining({ action: 'deleted' }) });

    await client.request('PATCH', `/api/v1/namespaces/${app}/secrets/${parent.name}`, { body: { metadata: { finalizers: null } }, contentType: 'application/merge-patch+json' });
    await vi.waitFor(async () => expect(await live('v1', 'Namespace', undefined, app)).toBeUndefined(), { timeout: 30_000, interval: 500 });
    expect(await sync([], emptying)).toEqual({});
  });
});

describe('the own-namespace exception of allowClusterScoped: false', () => {
  it('is for core Namespaces only: a cluster-scoped custom kind named Namespace is refused', async () => {
    const app = uniqueName('nslookalike');
    const group = `${app}.driftless.test`;
    const crdInfo = (await discovery.resourceFor('apiextensions.k8s.io/v1', 'CustomResourceDefinition'))!;
    await serverSideApply(client, crdInfo, {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `namespaces.${group}` },
      spec: { group, scope: 'Cluster', names: { kind: 'Namespace', plural: 'namespaces' }, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] },
    });
    await vi.waitFor(async () => expect(await discovery.resourceFor(`${group}/v1`, 'Namespace')).toBeTruthy(), { timeout: 30_000, interval: 200 });
    const ctx: PlanContext = {
      client,
      discovery,
      parent: applySetParent('t', app),
      policy: { namespace: app, allowedNamespaces: [app], allowClusterScoped: false, prune: true, concurrency: 8, ownership: ownershipSchema.parse({}) },
    };
    const lookalike: Manifest = { file: 'deploy/lookalike.yaml', object: { apiVersion: `${group}/v1`, kind: 'Namespace', metadata: { name: app } } };
    const err = await plan([lookalike], ctx).then(() => undefined, (e: unknown) => e as ManifestError);
    expect(err?.problems).toEqual([{ subject: `Namespace/${app}`, file: 'deploy/lookalike.yaml', message: 'cluster-scoped Namespace is not allowed for this target (allowClusterScoped: false)' }]);
  });
});
