import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManifestError } from '../../src/errors.js';
import { KubeApiError } from '../../src/kube/client.js';
import { getObject, serverSideApply, type KubeObject } from '../../src/kube/objects.js';
import { applySetParent } from '../../src/sync/inventory.js';
import type { Manifest } from '../../src/sync/manifest.js';
import { plan, type PlanContext } from '../../src/sync/plan.js';
import { createNamespace, testKube, uniqueName } from '../helpers/kube.js';
import { ownershipSchema } from '../../src/config/schema.js';

// Issue 11 item 7 (shared case 04): the API server answers server-side apply of a container
// listing an env var twice with a 500, a fault of the object, not an outage.
const { client, discovery } = testKube();
afterAll(() => client.close());

const cronJob = (namespace: string): KubeObject => ({
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name: 'report', namespace },
  spec: {
    schedule: '0 3 * * *',
    jobTemplate: {
      spec: {
        template: {
          spec: {
            restartPolicy: 'Never',
            containers: [{ name: 'report', image: 'busybox:1.36', env: [{ name: 'RETRIES', value: '5' }, { name: 'RETRIES', value: '6' }] }],
          },
        },
      },
    },
  },
});

describe('an object the API server rejects with a 500', () => {
  const namespace = uniqueName('reject');
  const ctx: PlanContext = {
    client,
    discovery,
    parent: applySetParent('t', namespace),
    policy: { namespace, allowedNamespaces: [namespace], allowClusterScoped: false, prune: true, concurrency: 8, ownership: ownershipSchema.parse({}) },
  };
  const live = async (apiVersion: string, kind: string, name: string) => getObject(client, (await discovery.resourceFor(apiVersion, kind))!, namespace, name);
  beforeAll(() => createNamespace(client, namespace));

  it.each([true, false])('is a permanent KubeApiError (dry run: %s)', async (dryRun) => {
    const info = (await discovery.resourceFor('batch/v1', 'CronJob'))!;
    const err = await serverSideApply(client, info, cronJob(namespace), { dryRun }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect(err).toMatchObject({ status: 500, permanent: true });
    expect((err as KubeApiError).message).toContain('duplicate entries for key [name="RETRIES"]');
  });

  it('fails the plan with a ManifestError naming the object, its file and the key, writing nothing', async () => {
    const { metadata, ...rest } = cronJob(namespace);
    const manifests: Manifest[] = [
      { file: 'deploy/cron.yaml', object: { ...rest, metadata: { name: metadata.name } } as Manifest['object'] },
      { file: 'deploy/config.yaml', object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app-config' }, data: { level: 'info' } } as Manifest['object'] },
    ];
    const err = await plan(manifests, ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ManifestError);
    expect(err).toMatchObject({ stage: 'plan', permanent: true });
    const { problems } = err as ManifestError;
    expect(problems).toEqual([{ subject: `CronJob/${namespace}/report`, file: 'deploy/cron.yaml', message: expect.stringContaining('duplicate entries for key [name="RETRIES"]') }]);
    expect((err as ManifestError).message).toContain(`CronJob/${namespace}/report (deploy/cron.yaml)`);

    expect(await live('batch/v1', 'CronJob', 'report')).toBeUndefined();
    expect(await live('v1', 'ConfigMap', 'app-config')).toBeUndefined();
    expect(await live('v1', 'Secret', ctx.parent.name)).toBeUndefined();
  });
});
