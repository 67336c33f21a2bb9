import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeApiError, KubeClient, type SentRequest } from '../../src/kube/client.js';
import { Discovery } from '../../src/kube/discovery.js';
import { ManifestError } from '../../src/errors.js';
import { plan } from '../../src/sync/plan.js';
import { createNamespace, testKube, uniqueName } from '../helpers/kube.js';
import { kubectl, manifest, preview, syncSet, targetContext } from '../helpers/sync.js';

const { client, discovery } = testKube();
afterAll(() => client.close());

const configMap = (name: string, namespace: string, annotations?: Record<string, string>) =>
  manifest(`deploy/${namespace}/${name}.yaml`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, ...(annotations && { annotations }) }, data: { name } });
const serviceAccount = (name: string, namespace: string) => manifest(`deploy/${namespace}/${name}-sa.yaml`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } });

/** Every request `client` sends while `work` runs, as `VERB path` (`LIST`, `DRYRUN`/`APPLY` for server-side apply). */
async function requestsDuring<T>(work: () => Promise<T>): Promise<{ result: T; requests: string[] }> {
  const requests: string[] = [];
  const verb = (r: SentRequest) => {
    if (r.method === 'PATCH') return r.query.dryRun ? 'DRYRUN' : 'APPLY';
    return r.method === 'GET' && (r.accept.includes('PartialObjectMetadataList') || r.query.labelSelector !== undefined) ? 'LIST' : r.method;
  };
  const stop = client.onRequest((r) => requests.push(`${verb(r)} ${r.path}`));
  try {
    return { result: await work(), requests };
  } finally {
    stop();
  }
}

describe('what a first apply asks the API server', () => {
  const namespaces = [uniqueName('reqs-a'), uniqueName('reqs-b')];
  const names = Array.from({ length: 6 }, (_, i) => `obj-${i}`);
  const set = namespaces.flatMap((ns) => names.flatMap((n) => [configMap(n, ns), serviceAccount(n, ns)]));
  beforeAll(async () => {
    for (const ns of namespaces) await createNamespace(client, ns);
  });

  it('validates and writes each object once, and learns what exists with one list per kind and namespace, never a GET per object', async () => {
    // with the cluster's creation guard, as the sync worker runs it
    const ctx = { ...targetContext(client, discovery, uniqueName('reqs'), namespaces[0]!, { allowedNamespaces: namespaces }), serializeCreates: <T>(work: () => Promise<T>) => work() };
    const { result: changes, requests } = await requestsDuring(() => syncSet(set, ctx));
    expect(Object.values(changes).map((c) => c.action)).toEqual(set.map(() => 'created'));

    const ofObjects = (verb: string) => requests.filter((r) => r.startsWith(`${verb} `) && names.some((n) => r.endsWith(`/${n}`)));
    expect(ofObjects('GET')).toEqual([]);
    expect(ofObjects('DRYRUN')).toHaveLength(set.length);
    expect(ofObjects('APPLY')).toHaveLength(set.length);
    // 2 kinds × 2 namespaces: the plan's lists, then the guard's check that they are still absent
    expect(requests.filter((r) => r.startsWith('LIST '))).toHaveLength(2 * 2 * 2);
    // and a handful per sync: discovery, the inventory's read and writes
    expect(requests.length).toBeLessThanOrEqual(2 * set.length + 2 * 2 * 2 + 5);
  });
});

describe('a first apply into namespaces other than the target\'s own', () => {
  const own = uniqueName('reqs-own');
  const namespaces = [uniqueName('reqs-c'), uniqueName('reqs-d'), uniqueName('reqs-e')];
  // ConfigMaps in every namespace, ServiceAccounts in the first only: 4 kinds × namespaces that declare them
  const set = [...namespaces.map((ns) => configMap('cm', ns)), serviceAccount('sa', namespaces[0]!)];
  const ctx = targetContext(client, discovery, uniqueName('reqs-own'), own, { allowedNamespaces: [own, ...namespaces] });
  beforeAll(async () => {
    for (const ns of [own, ...namespaces]) await createNamespace(client, ns);
  });

  it('lists only the kinds each namespace declares: nothing can be a member anywhere else yet', async () => {
    const { result: changes, requests } = await requestsDuring(() => syncSet(set, ctx));
    expect(Object.values(changes).map((c) => c.action)).toEqual(set.map(() => 'created'));
    const lists = requests.filter((r) => r.startsWith('LIST ')).sort();
    expect(lists).toEqual(
      [...namespaces.map((ns) => `LIST /api/v1/namespaces/${ns}/configmaps`), `LIST /api/v1/namespaces/${namespaces[0]}/serviceaccounts`].sort(),
    );
  });

  it('lists the whole recorded scope once it is the inventory, the target\'s namespace included (KEP-3659), and prunes there', async () => {
    const { result: changes, requests } = await requestsDuring(() => syncSet(set.slice(1), ctx));
    expect(changes[`ConfigMap/${namespaces[0]}/cm`]?.action).toBe('deleted');
    // 2 kinds × (3 namespaces + the target's own), each listed by the ApplySet label
    expect(requests.filter((r) => r.startsWith('LIST '))).toHaveLength(2 * 4);
  });
});

describe('objects that exist without the label are still found among new ones', () => {
  const namespace = uniqueName('reqs-exist');
  beforeAll(async () => {
    await createNamespace(client, namespace);
    // written by hand before Git declares it, among objects that are new
    await kubectl(['-n', namespace, 'create', 'configmap', 'by-hand', '--from-literal=owner=someone']);
    await kubectl(['apply', '-n', namespace, '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kubectl-applied' }, data: { owner: 'kubectl' } }));
  });
  const fresh = (n: number) => Array.from({ length: n }, (_, i) => configMap(`new-${i}`, namespace));

  it('refuses one it may not adopt, naming its writer, and adopts one kubectl applied', async () => {
    const ctx = targetContext(client, discovery, 'reqs-t', namespace);
    const err = await plan([...fresh(3), configMap('by-hand', namespace), configMap('kubectl-applied', namespace)], ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ManifestError);
    expect((err as ManifestError).problems).toEqual([
      { subject: `ConfigMap/${namespace}/by-hand`, file: `deploy/${namespace}/by-hand.yaml`, message: 'exists and was not created by target reqs-t (written by kubectl-create); to adopt it, annotate its manifest driftless.io/adopt: "true" or set ownership.adopt: all for the target' },
    ]);

    const shown = await preview([...fresh(3), configMap('kubectl-applied', namespace)], ctx);
    expect(shown[`ConfigMap/${namespace}/kubectl-applied`]?.action).toBe('adopted');
    expect(shown[`ConfigMap/${namespace}/new-0`]?.action).toBe('created');
  });

  it('finds them too once the kind and namespace are in the inventory (members listed by label, the rest by metadata)', async () => {
    const ctx = targetContext(client, discovery, 'reqs-u', namespace, { ownership: { adopt: 'all' } });
    await syncSet(fresh(2).map((m) => ({ ...m, object: { ...m.object, metadata: { ...m.object.metadata, name: `u-${m.object.metadata.name}` } } })), ctx);
    const shown = await preview([configMap('by-hand', namespace), configMap('new-9', namespace), configMap('new-10', namespace)], ctx);
    expect(shown[`ConfigMap/${namespace}/by-hand`]).toMatchObject({ action: 'adopted', reason: expect.stringContaining('kubectl-create') });
    expect(shown[`ConfigMap/${namespace}/new-9`]?.action).toBe('created');
  });
});

describe('a metadata list the API server refuses', () => {
  const namespace = uniqueName('reqs-rbac');
  let restricted: KubeClient;
  beforeAll(async () => {
    await createNamespace(client, namespace);
    // an identity that may read and apply ConfigMaps one by one, and the inventory, but not list them
    const role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'no-list', namespace }, rules: [{ apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: ['get', 'patch'] }] };
    const binding = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'no-list', namespace }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'no-list' }, subjects: [{ kind: 'ServiceAccount', name: 'deployer', namespace }] };
    await client.request('POST', `/api/v1/namespaces/${namespace}/serviceaccounts`, { body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'deployer' } } });
    await client.request('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/roles`, { body: role });
    await client.request('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/rolebindings`, { body: binding });
    const { status } = await client.request<{ status: { token: string } }>('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/deployer/token`, {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 600 } },
    });
    const admin = yaml.load(await readFile(process.env.KUBECONFIG!, 'utf8')) as { clusters: unknown[] };
    const kubeconfig = path.join(await mkdtemp(path.join(os.tmpdir(), 'reqs-rbac-')), 'kubeconfig');
    await writeFile(kubeconfig, JSON.stringify({ apiVersion: 'v1', kind: 'Config', clusters: admin.clusters, users: [{ name: 'deployer', user: { token: status.token } }], contexts: [{ name: 'deployer', context: { cluster: 'testenv', user: 'deployer' } }], 'current-context': 'deployer' }));
    restricted = KubeClient.fromConnection({ kubeconfig });
  });
  afterAll(() => restricted.close());

  it('fails the plan with a KubeApiError that says which list failed and what permission it needs', async () => {
    const ctx = targetContext(restricted, new Discovery(restricted), 'reqs-rbac', namespace);
    const err = await plan([configMap('a', namespace), configMap('b', namespace)], ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).status).toBe(403);
    expect((err as KubeApiError).permanent).toBe(true);
    expect((err as Error).message).toMatch(new RegExp(`^listing which ConfigMap objects exist in namespace ${namespace} \\(metadata-only LIST of configmaps; Driftless needs list permission on it\\) failed: configmaps is forbidden: User "system:serviceaccount:${namespace}:deployer" cannot list resource "configmaps"`));
  });
});
