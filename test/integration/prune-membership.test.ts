import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ManifestError } from '../../src/errors.js';
import { listObjects } from '../../src/kube/objects.js';
import { applySetKeys } from '../../src/sync/inventory.js';
import { plan } from '../../src/sync/plan.js';
import { PruneGuardError } from '../../src/sync/prune-guard.js';
import { createNamespace, testKube, uniqueName, withControllers } from '../helpers/kube.js';
import { liveObject, manifest, preview, syncSet, targetContext } from '../helpers/sync.js';

// Issue 12: prune acts only on what this target applied, and cannot empty a target by surprise.
const { client, discovery } = testKube();
afterAll(() => client.close());

const configMap = (name: string, data: Record<string, string>, namespace?: string) => manifest(`deploy/${name}.yaml`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(namespace && { namespace }) }, data });

describe('objects a controller makes are never pruned (case 16)', () => {
  const namespace = uniqueName('prune-slices');
  const ctx = targetContext(client, discovery, 't', namespace);
  const web = manifest('deploy/web.yaml', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }] } });
  const legacyDb = [
    manifest('deploy/legacy-db.yaml', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'legacy-db' }, spec: { ports: [{ name: 'pg', port: 5432 }] } }),
    manifest('deploy/legacy-db.yaml', {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'legacy-db-1', labels: { 'kubernetes.io/service-name': 'legacy-db' } },
      addressType: 'IPv4',
      ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
      endpoints: [{ addresses: ['10.20.30.40'] }],
    }),
  ];
  // the endpointslice controller of kube-controller-manager makes web's slice
  beforeAll(async () => {
    await withControllers();
    await createNamespace(client, namespace);
  });

  it('leaves the slice the endpointslice controller made, with our label copied on it, alone', async () => {
    await syncSet([web, ...legacyDb], ctx);
    const slices = (await discovery.resourceFor('discovery.k8s.io/v1', 'EndpointSlice'))!;
    const webSlices = () => listObjects(client, slices, namespace, 'kubernetes.io/service-name=web');
    await vi.waitFor(async () => expect(await webSlices()).toHaveLength(1), { timeout: 30_000, interval: 250 });
    const [copy] = await webSlices();
    // what makes the case: the controller copied the Service's labels, ours included
    expect(copy!.metadata.labels?.[applySetKeys.partOf]).toBe(ctx.parent.id);

    const set = [web, ...legacyDb, configMap('unrelated', { x: '1' })];
    const shown = await preview(set, ctx);
    expect(Object.keys(shown)).not.toContain(`EndpointSlice/${namespace}/${copy!.metadata.name}`);
    const changes = await syncSet(set, ctx);
    expect(Object.values(changes).filter((c) => c.action === 'deleted')).toEqual([]);
    expect((await webSlices()).map((s) => s.metadata.uid)).toEqual([copy!.metadata.uid]);
    expect(await liveObject(client, discovery, 'discovery.k8s.io/v1', 'EndpointSlice', namespace, 'legacy-db-1')).toBeDefined();
  });

  it('still prunes the slice Git wrote when Git drops it', async () => {
    const changes = await syncSet([web, legacyDb[0]!, configMap('unrelated', { x: '1' })], ctx);
    expect(changes[`EndpointSlice/${namespace}/legacy-db-1`]?.action).toBe('deleted');
  });
});

describe('one identity per object (case 11)', () => {
  const namespace = uniqueName('prune-dup');
  const ctx = targetContext(client, discovery, 't', namespace);
  beforeAll(() => createNamespace(client, namespace));

  it('refuses an object declared with and without the default namespace, naming both files, and writes nothing', async () => {
    const a = manifest('deploy/a-flags.yaml', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'feature-flags' }, data: { 'checkout-v2': 'off' } });
    const b = manifest('deploy/b-flags-copy.yaml', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'feature-flags', namespace }, data: { 'checkout-v2': 'on' } });
    const err = (await plan([a, b, configMap('other', { y: '1' })], ctx).catch((e: unknown) => e)) as ManifestError;
    expect(err).toBeInstanceOf(ManifestError);
    expect(err.problems).toEqual([{ subject: `ConfigMap/${namespace}/feature-flags`, file: 'deploy/b-flags-copy.yaml', message: 'defined twice: in deploy/a-flags.yaml and in deploy/b-flags-copy.yaml' }]);
    expect(await liveObject(client, discovery, 'v1', 'ConfigMap', namespace, 'feature-flags')).toBeUndefined();
  });

  it('refuses two versions of one kind with one name', async () => {
    const hpa = (apiVersion: string, file: string) =>
      manifest(file, { apiVersion, kind: 'HorizontalPodAutoscaler', metadata: { name: 'web' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 3 } });
    const err = (await plan([hpa('autoscaling/v1', 'deploy/hpa-v1.yaml'), hpa('autoscaling/v2', 'deploy/hpa-v2.yaml')], ctx).catch((e: unknown) => e)) as ManifestError;
    expect(err.problems.map((p) => p.message)).toEqual(['defined twice: in deploy/hpa-v1.yaml and in deploy/hpa-v2.yaml']);
  });
});

describe('a prune that would empty a target', () => {
  const namespace = uniqueName('prune-guard');
  const ctx = targetContext(client, discovery, 't', namespace);
  const set = ['a', 'b', 'c', 'd', 'e'].map((name) => configMap(name, { x: '1' }));
  beforeAll(() => createNamespace(client, namespace));

  it('stops before any change, says why, and lists what it would delete', async () => {
    await syncSet(set, ctx);
    // a render that lost most of the set: 4 of 5 objects gone
    const err = (await syncSet([set[0]!], ctx).catch((e: unknown) => e)) as PruneGuardError;
    expect(err).toBeInstanceOf(PruneGuardError);
    expect(err.message).toMatch(/^prune stopped before any change: this sync would delete 4 of target t's objects and keep 1; more than 2 deleted per object kept/);
    expect(err.problems.map((p) => p.subject).sort()).toEqual(['b', 'c', 'd', 'e'].map((n) => `ConfigMap/${namespace}/${n}`));
    const emptied = (await syncSet([], ctx).catch((e: unknown) => e)) as PruneGuardError;
    expect(emptied.message).toContain('it would empty the target');
    const left = await listObjects(client, (await discovery.resourceFor('v1', 'ConfigMap'))!, namespace, `${applySetKeys.partOf}=${ctx.parent.id}`);
    expect(left.map((o) => o.metadata.name).sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('deletes them once the target opts in', async () => {
    const optedIn = targetContext(client, discovery, 't', namespace, { ownership: { allowMassPrune: true } });
    const changes = await syncSet([], optedIn);
    expect(Object.values(changes).map((c) => c.action)).toEqual(['deleted', 'deleted', 'deleted', 'deleted', 'deleted']);
  });
});
