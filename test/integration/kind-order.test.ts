import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownershipSchema } from '../../src/config/schema.js';
import { KubeApiError } from '../../src/kube/client.js';
import { deleteObject, getObject, serverSideApply } from '../../src/kube/objects.js';
import { apply } from '../../src/sync/apply.js';
import { applySetParent } from '../../src/sync/inventory.js';
import type { Manifest } from '../../src/sync/manifest.js';
import { plan, type PlanContext } from '../../src/sync/plan.js';
import { prune } from '../../src/sync/prune.js';
import { createNamespace, testKube, uniqueName } from '../helpers/kube.js';

// The kind order of src/sync/order.ts against the real API server: an admission webhook whose
// backend does not run (as in a sync that also deploys it) denies what it intercepts, so it must
// be written after the objects of its own sync and deleted before them.
const { client, discovery } = testKube();
const guarded = { 'test.driftless.io/guarded': 'true' };

const configMap = (name: string): Manifest => ({
  file: `deploy/${name}.yaml`,
  object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: guarded }, data: { level: 'info' } } as Manifest['object'],
});

/** Fails closed for labelled ConfigMaps of one namespace: its Service does not exist. */
const webhook = (name: string, namespace: string): Manifest => ({
  file: 'deploy/webhook.yaml',
  object: {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name },
    webhooks: [
      {
        name: `${name}.driftless.test`,
        clientConfig: { service: { namespace, name: 'nowhere', port: 443 } },
        rules: [{ operations: ['CREATE', 'UPDATE', 'DELETE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'], scope: 'Namespaced' }],
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } },
        objectSelector: { matchLabels: guarded },
        failurePolicy: 'Fail',
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
        timeoutSeconds: 2,
      },
    ],
  } as unknown as Manifest['object'],
});

async function sync(manifests: Manifest[], ctx: PlanContext): Promise<Record<string, string>> {
  const planned = await plan(manifests, ctx);
  const changes = [...(await apply(planned, ctx)), ...(await prune(planned, ctx))];
  return Object.fromEntries(changes.map((c) => [c.subject, c.action]));
}

describe('an admission webhook in the same sync as the objects it intercepts', () => {
  const namespace = uniqueName('kind-order');
  const name = uniqueName('deny-configmaps');
  const ctx: PlanContext = {
    client,
    discovery,
    parent: applySetParent('t', namespace),
    // emptying the target at the end is on purpose
    policy: { namespace, allowedNamespaces: [namespace], allowClusterScoped: true, prune: true, concurrency: 8, ownership: { ...ownershipSchema.parse({}), allowMassPrune: true } },
  };
  const webhookInfo = async () => (await discovery.resourceFor('admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration'))!;
  const configMapInfo = async () => (await discovery.resourceFor('v1', 'ConfigMap'))!;

  beforeAll(() => createNamespace(client, namespace));
  afterAll(async () => {
    await deleteObject(client, await webhookInfo(), undefined, name);
    client.close();
  });

  it('is written after them', async () => {
    expect(await sync([webhook(name, namespace), configMap('app')], ctx)).toEqual({ [`ValidatingWebhookConfiguration/${name}`]: 'created', [`ConfigMap/${namespace}/app`]: 'created' });
    expect(await getObject(client, await configMapInfo(), namespace, 'app')).toBeDefined();
    // the webhook bites: written first, it would have refused the ConfigMap
    const write = serverSideApply(client, await configMapInfo(), { ...configMap('app').object, metadata: { name: 'app', namespace, labels: guarded }, data: { level: 'debug' } });
    await expect(write).rejects.toBeInstanceOf(KubeApiError);
  });

  it('is deleted before them', async () => {
    expect(await sync([], ctx)).toEqual({ [`ValidatingWebhookConfiguration/${name}`]: 'deleted', [`ConfigMap/${namespace}/app`]: 'deleted' });
    expect(await getObject(client, await webhookInfo(), undefined, name)).toBeUndefined();
    expect(await getObject(client, await configMapInfo(), namespace, 'app')).toBeUndefined();
  });
});
