import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../src/kube/client.js';
import type { Discovery } from '../../src/kube/discovery.js';
import { getObject, type KubeObject } from '../../src/kube/objects.js';
import { DriftlessHarness } from '../helpers/driftless.js';
import { createNamespace, testKube, uniqueName, withControllers } from '../helpers/kube.js';

/** A Deployment manifest; `unready` pods run but never become Ready under kwok. */
const deployment = (version: string, unready = false) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 2
  progressDeadlineSeconds: 8
  selector: { matchLabels: { app: api } }
  template:
    metadata:
      labels: { app: api, version: "${version}"${unready ? ', driftless.dev/kwok-pod: unready' : ''} }
    spec:
      containers: [{ name: api, image: "registry.example/api:${version}" }]
`;

describe('rollouts on a control plane with controllers', () => {
  let h: DriftlessHarness;
  let namespace: string;
  let client: KubeClient;
  let discovery: Discovery;
  beforeAll(async () => {
    await withControllers();
    ({ client, discovery } = testKube());
    namespace = uniqueName('rollout');
    await createNamespace(client, namespace);
    h = await DriftlessHarness.start({ namespace, targetYaml: '    wait: { timeout: 90s }\n    rollback: onFailure' });
  }, 30 * 60_000);
  afterAll(async () => {
    await h?.close();
    client?.close();
  });

  const api = async () => (await getObject(client, (await discovery.resourceFor('apps/v1', 'Deployment'))!, namespace, 'api')) as KubeObject & {
    spec: { template: { metadata: { labels: Record<string, string> } } };
    status?: { availableReplicas?: number; updatedReplicas?: number };
  };
  const terminal = (sha: string) => () => h.statuses(sha).find((s) => s.state !== 'pending');

  it('reports success only once the pods are ready, and rolls a broken rollout back', async () => {
    const good = await h.commitAndPush('api v1', { 'deploy/api.yaml': deployment('1') });
    await expect.poll(() => terminal(good.sha)()?.state, { timeout: 90_000 }).toBe('success');
    // success was posted after the wait: the pods were ready by then
    expect((await api()).status?.availableReplicas).toBe(2);
    // the wait stage ran (whether a "waiting" status showed depends on how fast kwok's pods start)
    const deployed = (await h.history(namespace)).find((e) => e.revision === good.sha && e.result === 'succeeded');
    expect(deployed?.timings.wait).toBeGreaterThanOrEqual(0);

    const bad = await h.commitAndPush('api v2, never ready', { 'deploy/api.yaml': deployment('2', true) });
    await expect.poll(() => terminal(bad.sha)()?.state, { timeout: 90_000 }).toBe('failure');
    const description = terminal(bad.sha)()!.description!;
    expect(description).toMatch(new RegExp(`^rolled back to ${good.sha.slice(0, 7)}: .*Deployment/${namespace}/api \\(deploy/api.yaml\\): Degraded: ProgressDeadlineExceeded`));

    // the old pods serve again: the template is v1's and the rollout is complete
    await expect.poll(async () => {
      const live = await api();
      return [live.spec.template.metadata.labels.version, live.status?.availableReplicas, live.status?.updatedReplicas];
    }, { timeout: 60_000 }).toEqual(['1', 2, 2]);
    const history = await h.history(namespace);
    expect(history.slice(0, 2).map((e) => [e.revision.slice(0, 7), e.result, e.trigger.kind])).toEqual([
      [good.sha.slice(0, 7), 'succeeded', 'rollback'],
      [bad.sha.slice(0, 7), 'failed', 'push'],
    ]);
  }, 240_000);
});
