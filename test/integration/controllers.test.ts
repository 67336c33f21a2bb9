import { afterAll, beforeAll, describe, it } from 'vitest';
import type { KubeClient } from '../../src/kube/client.js';
import type { Discovery } from '../../src/kube/discovery.js';
import { deleteObject, getObject, serverSideApply, type KubeObject } from '../../src/kube/objects.js';
import { createNamespace, testKube, uniqueName, withControllers } from '../helpers/kube.js';


type Condition = { type: string; status: string; reason?: string };
type Status = { conditions?: Condition[]; [field: string]: unknown };

let client: KubeClient;
let discovery: Discovery;
let namespace: string;

/** The fields of an object's status a test waits on, plus its conditions as `Type=Status/Reason`. */
async function statusOf(apiVersion: string, kind: string, name: string, fields: string[]): Promise<Record<string, unknown>> {
  const info = await discovery.resourceFor(apiVersion, kind);
  const live = await getObject(client, info!, namespace, name);
  const status = (live?.status ?? {}) as Status;
  const picked: Record<string, unknown> = {};
  for (const f of fields) picked[f] = status[f];
  picked.conditions = (status.conditions ?? []).map((c) => `${c.type}=${c.status}/${c.reason ?? ''}`);
  return picked;
}

async function apply(object: KubeObject): Promise<void> {
  const info = await discovery.resourceFor(object.apiVersion, object.kind);
  await serverSideApply(client, info!, { ...object, metadata: { ...object.metadata, namespace } });
}

function deployment(name: string, spec: { replicas?: number; progressDeadlineSeconds?: number; podLabels?: Record<string, string>; nodeSelector?: Record<string, string> }): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas: spec.replicas ?? 1,
      ...(spec.progressDeadlineSeconds ? { progressDeadlineSeconds: spec.progressDeadlineSeconds } : {}),
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name, ...spec.podLabels } },
        spec: { ...(spec.nodeSelector ? { nodeSelector: spec.nodeSelector } : {}), containers: [{ name: 'app', image: 'registry.example/app:1' }] },
      },
    },
  };
}

function job(name: string, podLabels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      backoffLimit: 0,
      template: { metadata: { labels: podLabels }, spec: { restartPolicy: 'Never', containers: [{ name: 'task', image: 'registry.example/task:1' }] } },
    },
  };
}

beforeAll(async () => {
  await withControllers();
  ({ client, discovery } = testKube());
  namespace = uniqueName('controllers');
  await createNamespace(client, namespace);
}, 30 * 60_000);

afterAll(async () => {
  if (!client) return;
  const info = await discovery.resourceFor('v1', 'Namespace');
  await deleteObject(client, info!, undefined, namespace);
  client.close();
});

// Independent objects in one namespace: the tests run concurrently, so the waits overlap.
describe.concurrent('workloads progress for real (kube-controller-manager, kube-scheduler, kwok)', () => {
  it('has the fake node kwok-node-0, Ready', async ({ expect }) => {
    const info = await discovery.resourceFor('v1', 'Node');
    const node = await getObject(client, info!, undefined, 'kwok-node-0');
    const ready = ((node?.status as Status | undefined)?.conditions ?? []).find((c) => c.type === 'Ready');
    expect(ready?.status).toBe('True');
  });

  it('makes a Deployment with 2 replicas Available', async ({ expect }) => {
    await apply(deployment('web', { replicas: 2 }));
    await expect
      .poll(() => statusOf('apps/v1', 'Deployment', 'web', ['availableReplicas']), { timeout: 60_000, interval: 500 })
      .toMatchObject({ availableReplicas: 2, conditions: expect.arrayContaining(['Available=True/MinimumReplicasAvailable']) });
  }, 90_000);

  it('reports ProgressDeadlineExceeded for a Deployment whose pods fit no node', async ({ expect }) => {
    await apply(deployment('unschedulable', { progressDeadlineSeconds: 10, nodeSelector: { nothing: 'here' } }));
    await expect
      .poll(() => statusOf('apps/v1', 'Deployment', 'unschedulable', ['availableReplicas']), { timeout: 60_000, interval: 1000 })
      .toMatchObject({ conditions: expect.arrayContaining(['Progressing=False/ProgressDeadlineExceeded']) });
  }, 90_000);

  it('reports ProgressDeadlineExceeded for a Deployment whose pods run but never become ready (kwok stage driftless-pod-unready)', async ({ expect }) => {
    await apply(deployment('unready', { progressDeadlineSeconds: 10, podLabels: { 'driftless.dev/kwok-pod': 'unready' } }));
    await expect
      .poll(() => statusOf('apps/v1', 'Deployment', 'unready', ['replicas', 'readyReplicas']), { timeout: 60_000, interval: 1000 })
      .toMatchObject({ replicas: 1, readyReplicas: undefined, conditions: expect.arrayContaining(['Progressing=False/ProgressDeadlineExceeded']) });
  }, 90_000);

  it('completes a Job (kwok completes pods owned by a Job)', async ({ expect }) => {
    await apply(job('succeeds'));
    await expect
      .poll(() => statusOf('batch/v1', 'Job', 'succeeds', ['succeeded']), { timeout: 60_000, interval: 500 })
      .toMatchObject({ succeeded: 1, conditions: expect.arrayContaining(['Complete=True/CompletionsReached']) });
  }, 90_000);

  it('fails a Job whose pod fails (kwok stage driftless-pod-fail)', async ({ expect }) => {
    await apply(job('fails', { 'driftless.dev/kwok-pod': 'fail' }));
    await expect
      .poll(() => statusOf('batch/v1', 'Job', 'fails', ['failed']), { timeout: 60_000, interval: 500 })
      .toMatchObject({ failed: 1, conditions: expect.arrayContaining(['Failed=True/BackoffLimitExceeded']) });
  }, 90_000);

  it('makes a StatefulSet with 1 replica ready', async ({ expect }) => {
    await apply({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db' },
      spec: {
        serviceName: 'db',
        replicas: 1,
        selector: { matchLabels: { app: 'db' } },
        template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'registry.example/db:1' }] } },
      },
    });
    await expect
      .poll(() => statusOf('apps/v1', 'StatefulSet', 'db', ['readyReplicas', 'availableReplicas']), { timeout: 60_000, interval: 500 })
      .toMatchObject({ readyReplicas: 1, availableReplicas: 1 });
  }, 90_000);

  it('schedules a DaemonSet on the node and makes its pod ready', async ({ expect }) => {
    await apply({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent' },
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'agent', image: 'registry.example/agent:1' }] } },
      },
    });
    await expect
      .poll(() => statusOf('apps/v1', 'DaemonSet', 'agent', ['desiredNumberScheduled', 'currentNumberScheduled', 'numberReady']), { timeout: 60_000, interval: 500 })
      .toMatchObject({ desiredNumberScheduled: 1, currentNumberScheduled: 1, numberReady: 1 });
    const pods = await client.request<{ items: KubeObject[] }>('GET', `/api/v1/namespaces/${namespace}/pods`, { query: { labelSelector: 'app=agent' } });
    expect(pods.items.map((p) => (p.spec as { nodeName?: string }).nodeName)).toEqual(['kwok-node-0']);
  }, 90_000);
});
