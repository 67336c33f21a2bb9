import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManifestError } from '../../src/errors.js';
import { getObject, serverSideApply } from '../../src/kube/objects.js';
import { apply } from '../../src/sync/apply.js';
import { applySetParent } from '../../src/sync/inventory.js';
import type { Manifest } from '../../src/sync/manifest.js';
import { plan, type PlanContext } from '../../src/sync/plan.js';
import { waitHealthy } from '../../src/sync/wait.js';
import { createNamespace, testKube, uniqueName } from '../helpers/kube.js';
import { ownershipSchema } from '../../src/config/schema.js';

// These cases need no controllers: a custom resource whose conditions the test writes, and a
// Job whose pods can never be scheduled.
const { client, discovery } = testKube();
afterAll(() => client.close());

describe('waitHealthy on the real API server', () => {
  let ctx: PlanContext;
  let namespace: string;
  const group = `${uniqueName('w')}.driftless.test`;
  const widget = (name: string, conditions: object[]): Manifest => ({
    file: `deploy/${name}.yaml`,
    object: { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name }, status: { conditions } } as unknown as Manifest['object'],
  });

  beforeAll(async () => {
    namespace = uniqueName('wait');
    await createNamespace(client, namespace);
    ctx = { client, discovery, parent: applySetParent(namespace, namespace), policy: { namespace, allowedNamespaces: [namespace], allowClusterScoped: true, prune: true, concurrency: 4, ownership: ownershipSchema.parse({}) } };
    const crdInfo = (await discovery.resourceFor('apiextensions.k8s.io/v1', 'CustomResourceDefinition'))!;
    await serverSideApply(client, crdInfo, {
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: `widgets.${group}` },
      // no status subresource: the status written with the object is what the wait reads
      spec: { group, scope: 'Namespaced', names: { kind: 'Widget', plural: 'widgets' }, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] },
    });
    for (let established = false; !established; await new Promise((r) => setTimeout(r, 100))) {
      const crd = await getObject(client, crdInfo, undefined, `widgets.${group}`);
      established = !!(crd?.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    }
    // discovery refreshes an apiVersion at most once a second
    await new Promise((r) => setTimeout(r, 1_100));
  });

  const applied = async (manifests: Manifest[]) => {
    const p = await plan(manifests, ctx);
    await apply(p, ctx);
    return p.objects;
  };

  it('returns once every changed object is healthy, reporting progress', async () => {
    const objects = await applied([widget('ready', [{ type: 'Ready', status: 'True' }]), { file: 'deploy/cm.yaml', object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } } as Manifest['object'] }]);
    const progress: string[] = [];
    const entries = await waitHealthy(objects, ctx, { timeoutMs: 5_000, intervalMs: 100, onProgress: (h, t) => void progress.push(`${h}/${t}`) });
    // the ConfigMap is healthy once applied and never read again; only the custom resource is
    expect(entries.map((e) => [e.subject, e.health.status])).toEqual([[`Widget/${namespace}/ready`, 'Healthy']]);
    expect(progress).toEqual(['1/1']);
  });

  it('fails at once on a Degraded object, naming it, its file and its reason', async () => {
    const objects = await applied([widget('stalled', [{ type: 'Stalled', status: 'True', reason: 'QuotaExceeded', message: 'no capacity left' }])]);
    const started = Date.now();
    const err = (await waitHealthy(objects, ctx, { timeoutMs: 30_000, intervalMs: 100 }).catch((e: unknown) => e)) as ManifestError;
    expect(err).toBeInstanceOf(ManifestError);
    expect(err.stage).toBe('wait');
    expect(err.problems).toEqual([{ subject: `Widget/${namespace}/stalled`, file: 'deploy/stalled.yaml', message: expect.stringMatching(/^Degraded: .*QuotaExceeded/) }]);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('names what is still not healthy when the timeout passes', async () => {
    const job: Manifest = {
      file: 'deploy/job.yaml',
      // a node selector nothing satisfies: even with controllers running, the Job never completes
      object: { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'migrate' }, spec: { template: { spec: { restartPolicy: 'Never', nodeSelector: { nothing: 'here' }, containers: [{ name: 'm', image: 'busybox' }] } } } } as Manifest['object'],
    };
    const objects = await applied([job, widget('pending', [{ type: 'Ready', status: 'False', reason: 'Provisioning' }])]);
    const err = (await waitHealthy(objects, ctx, { timeoutMs: 1_500, intervalMs: 200 }).catch((e: unknown) => e)) as ManifestError;
    expect(err).toBeInstanceOf(ManifestError);
    expect(err.message).toMatch(new RegExp(`Job/${namespace}/migrate \\(deploy/job.yaml\\): Progressing after 2s`));
    expect(err.message).toMatch(/Widget\/.*\/pending \(deploy\/pending.yaml\): Progressing after 2s: .*Provisioning/);
  });
});
