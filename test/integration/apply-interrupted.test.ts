import { afterAll, describe, expect, it } from 'vitest';
import { ownershipSchema } from '../../src/config/schema.js';
import { getObject, serverSideApply } from '../../src/kube/objects.js';
import { apply } from '../../src/sync/apply.js';
import { applySetParent } from '../../src/sync/inventory.js';
import type { Manifest } from '../../src/sync/manifest.js';
import { stage, SyncStageError } from '../../src/sync/pipeline.js';
import { plan, type PlanContext } from '../../src/sync/plan.js';
import { changedCluster } from '../../src/sync/reconciler.js';
import { createNamespace, testKube, uniqueName } from '../helpers/kube.js';
import { createLogger } from '../../src/log.js';

// A failure part-way through apply that is no object's own (here: a CRD that never becomes
// Established) still reports what apply wrote before it, so the reconciler knows the cluster
// changed: it rolls back and the report does not say "nothing applied".
const { client, discovery } = testKube();
afterAll(() => client.close());

const crd = (group: string, plural: string, kind: string) => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${plural}.${group}` },
  spec: { group, scope: 'Namespaced', names: { kind, plural }, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] },
});

describe('an apply interrupted after it wrote', () => {
  it('carries what it wrote, whatever stopped it', async () => {
    const namespace = uniqueName('interrupted');
    await createNamespace(client, namespace);
    const group = `${namespace}.driftless.test`;
    // a CRD already serving kind Widget in the group: a second CRD claiming that kind is never Established
    const crdInfo = (await discovery.resourceFor('apiextensions.k8s.io/v1', 'CustomResourceDefinition'))!;
    await serverSideApply(client, crdInfo, crd(group, 'widgets', 'Widget'));
    const ctx: PlanContext = {
      client,
      discovery,
      parent: applySetParent('t', namespace),
      policy: { namespace, allowedNamespaces: [namespace], allowClusterScoped: true, prune: true, concurrency: 4, ownership: ownershipSchema.parse({}) },
    };
    const manifests: Manifest[] = [
      { file: 'deploy/gadgets.yaml', object: crd(group, 'gadgets', 'Widget') as Manifest['object'] },
      { file: 'deploy/config.yaml', object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'config' }, data: { a: '1' } } as Manifest['object'] },
    ];
    const planned = await plan(manifests, ctx);
    const err = await stage('apply', {}, { kube: client, discovery, cacheDir: '', log: createLogger({ level: 'silent' }) }, () => apply(planned, ctx, { crdTimeoutMs: 1_500 })).then(
      () => undefined,
      (e: unknown) => e as SyncStageError,
    );
    expect(err).toBeInstanceOf(SyncStageError);
    expect(err!.message).toMatch(/not Established after 1.5s/);
    expect(err!.applied.map((c) => [c.subject, c.action])).toEqual([[`CustomResourceDefinition/gadgets.${group}`, 'created']]);
    expect(changedCluster(err!)).toBe(true);
    // the batch after the definitions was never written
    expect(await getObject(client, (await discovery.resourceFor('v1', 'ConfigMap'))!, namespace, 'config')).toBeUndefined();
  });
});
