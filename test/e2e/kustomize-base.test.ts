import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getObject } from '../../src/kube/objects.js';
import { DriftlessHarness } from '../helpers/driftless.js';
import { testKube } from '../helpers/kube.js';

// Case 07: the target's path is a kustomize overlay of a base outside it. A push that changes only
// the base changes what the target renders, so it deploys at once rather than at the next reconcile.

const { client, discovery } = testKube();
const config = (feature: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\ndata:\n  feature-x: "${feature}"\n`;

describe('a kustomize overlay of a base outside the target path', () => {
  let h: DriftlessHarness;
  let namespace: string;
  beforeAll(async () => {
    ({ h, namespace } = await DriftlessHarness.startInNewNamespace('kbase'));
  });
  afterAll(async () => {
    await h?.close();
    client.close();
  });

  const live = async () => ((await getObject(client, (await discovery.resourceFor('v1', 'ConfigMap'))!, namespace, 'prod-app-config'))?.data as Record<string, string> | undefined)?.['feature-x'];
  const terminal = (sha: string) => h.statuses(sha).find((s) => s.state !== 'pending');

  it('deploys a push that changes only the base, and still ignores one that changes neither', async () => {
    const first = await h.commitAndPush('base and overlay', {
      'base/kustomization.yaml': 'resources:\n  - config.yaml\n',
      'base/config.yaml': config('off'),
      'deploy/kustomization.yaml': 'resources:\n  - ../base\nnamePrefix: prod-\n',
    });
    expect(first.res.status).toBe(202);
    await expect.poll(() => terminal(first.sha)?.state, { timeout: 30_000 }).toBe('success');
    expect(await live()).toBe('off');

    // GitHub lists base/config.yaml as the only modified file
    const change = await h.commitAndPush('turn feature-x on (base)', { 'base/config.yaml': config('on') });
    expect(change.res).toEqual({ status: 202, body: { result: 'queued', targets: [namespace] } });
    await expect.poll(() => terminal(change.sha)?.state, { timeout: 30_000 }).toBe('success');
    expect(await live()).toBe('on');

    const unrelated = await h.commitAndPush('docs', { 'docs/readme.md': '# shop\n' });
    expect(unrelated.res.status).toBe(200);
    expect(unrelated.res.body).toMatchObject({ result: 'ignored' });
  });
});
