import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManifestError } from '../../src/errors.js';
import { serverSideApply } from '../../src/kube/objects.js';
import { applySetKeys } from '../../src/sync/inventory.js';
import { lastAppliedAnnotation, ownershipKeys } from '../../src/sync/ownership.js';
import { apply } from '../../src/sync/apply.js';
import { plan } from '../../src/sync/plan.js';
import { keys } from '../../src/store/keys.js';
import { CreationLockStore } from '../../src/store/locks.js';
import { Redis } from 'ioredis';
import { createNamespace, testKube, uniqueName } from '../helpers/kube.js';
import { kubectl, liveObject, managersOf, manifest, preview, syncSet, targetContext } from '../helpers/sync.js';

// Issue 12: Driftless changes exactly what Git declares and never destroys what it does not own.
const { client, discovery } = testKube();
afterAll(() => client.close());

const configMap = (name: string, data: Record<string, string>, namespace?: string, annotations?: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, ...(namespace && { namespace }), ...(annotations && { annotations }) },
  data,
});
const live = (apiVersion: string, kind: string, namespace: string | undefined, name: string) => liveObject(client, discovery, apiVersion, kind, namespace, name);

describe('field ownership: what Git removes is removed', () => {
  const namespace = uniqueName('own-fields');
  const ctx = targetContext(client, discovery, 't', namespace);
  beforeAll(() => createNamespace(client, namespace));

  it('adopts an object kubectl apply created, and removes the key Git later drops (case 01)', async () => {
    await kubectl(['apply', '-f', '-'], JSON.stringify(configMap('app-settings', { mode: 'fast', 'legacy-flag': 'on' }, namespace)));
    const settings = (data: Record<string, string>) => manifest('deploy/settings.yaml', configMap('app-settings', data));
    const subject = `ConfigMap/${namespace}/app-settings`;

    const adopting = await preview([settings({ mode: 'fast', 'legacy-flag': 'on' })], ctx);
    expect(adopting[subject]).toMatchObject({ action: 'adopted', reason: expect.stringContaining('takes over fields from kubectl-client-side-apply') });
    expect((await syncSet([settings({ mode: 'fast', 'legacy-flag': 'on' })], ctx))[subject]?.action).toBe('adopted');
    const adopted = await live('v1', 'ConfigMap', namespace, 'app-settings');
    expect(managersOf(adopted)).toEqual(['driftless/Apply']);
    expect(adopted?.metadata.annotations?.[lastAppliedAnnotation]).toBeUndefined();

    const dropping = await preview([settings({ mode: 'fast' })], ctx);
    expect(dropping[subject]?.action).toBe('configured');
    expect(dropping[subject]?.diff).toMatch(/^-\s+legacy-flag: 'on'$/m);
    await syncSet([settings({ mode: 'fast' })], ctx);
    expect((await live('v1', 'ConfigMap', namespace, 'app-settings'))?.data).toEqual({ mode: 'fast' });
    expect((await preview([settings({ mode: 'fast' })], ctx))[subject]?.action).toBe('unchanged');
  });

  it('heals a Service port changed by hand (case 03)', async () => {
    const web = manifest('deploy/service.yaml', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } });
    const subject = `Service/${namespace}/web`;
    await syncSet([web], ctx);
    await kubectl(['-n', namespace, 'patch', 'svc', 'web', '--type=json', '-p', '[{"op":"replace","path":"/spec/ports/0/port","value":83}]']);

    const drift = await preview([web], ctx);
    expect(drift[subject]).toMatchObject({ action: 'configured', reason: expect.stringContaining('takes over fields from kubectl-patch') });
    expect(drift[subject]?.diff).toMatch(/^-\s+port: 83$/m);
    expect((await syncSet([web], ctx))[subject]?.action).toBe('configured');
    const ports = (await live('v1', 'Service', namespace, 'web'))?.spec as { ports: object[] };
    expect(ports.ports).toEqual([{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }]);
  });

  it('shows a hand edit as drift and removes it, and leaves a controller’s field alone', async () => {
    const deployment = manifest('deploy/api.yaml', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'api' },
      spec: { selector: { matchLabels: { app: 'api' } }, template: { metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'api', image: 'registry.example/api:1' }] } } },
    });
    const subject = `Deployment/${namespace}/api`;
    await syncSet([deployment], ctx);
    // an autoscaler's way of writing replicas (the scale subresource), and a person's edit
    await kubectl(['-n', namespace, 'scale', 'deployment', 'api', '--replicas=3']);
    await kubectl(['-n', namespace, 'patch', 'deployment', 'api', '--type=merge', '-p', '{"metadata":{"annotations":{"edited":"by-hand"}}}']);

    const drift = await preview([deployment], ctx);
    expect(drift[subject]?.action).toBe('configured');
    expect(drift[subject]?.diff).toMatch(/^-\s+edited: by-hand$/m);
    expect(drift[subject]?.diff).not.toMatch(/replicas/);
    await syncSet([deployment], ctx);
    const after = await live('apps/v1', 'Deployment', namespace, 'api');
    expect(after?.metadata.annotations?.edited).toBeUndefined();
    expect((after?.spec as { replicas: number }).replicas).toBe(3);
  });

  it('removes the keys of a Secret that Git removes, also from a Secret applied with stringData before', async () => {
    const secret = (stringData: Record<string, string>) => manifest('deploy/secret.yaml', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds' }, stringData });
    const keys = async () => Object.fromEntries(Object.entries(((await live('v1', 'Secret', namespace, 'creds'))?.data ?? {}) as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
    await syncSet([secret({ user: 'admin', password: 'hunter2', token: 't0k3n' })], ctx);
    expect(await keys()).toEqual({ user: 'admin', password: 'hunter2', token: 't0k3n' });
    const changed = await syncSet([secret({ user: 'admin', password: 'correct-horse' })], ctx);
    expect(changed[`Secret/${namespace}/creds`]?.action).toBe('configured');
    expect(await keys()).toEqual({ user: 'admin', password: 'correct-horse' });

    // as Driftless applied Secrets before it folded stringData into data: stringData owned, data unowned
    const info = (await discovery.resourceFor('v1', 'Secret'))!;
    await serverSideApply(client, info, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'legacy', namespace, labels: { [applySetKeys.partOf]: ctx.parent.id } }, stringData: { a: '1', b: '2' } });
    const legacy = (stringData: Record<string, string>) => manifest('deploy/legacy.yaml', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'legacy' }, stringData });
    const base = [secret({ user: 'admin', password: 'correct-horse' })];
    const moving = await preview([...base, legacy({ a: '1' })], ctx);
    expect(moving[`Secret/${namespace}/legacy`]?.reason).toBe('moves ownership of stringData keys to data');
    await syncSet([...base, legacy({ a: '1' })], ctx);
    expect(Object.keys(((await live('v1', 'Secret', namespace, 'legacy'))?.data ?? {}) as object)).toEqual(['a']);
  });
});

describe('adoption is explicit, and prune releases what was adopted', () => {
  const namespace = uniqueName('own-adopt');
  const shared = `${namespace}-shared`;
  const created = `${namespace}-created`;
  const ctx = targetContext(client, discovery, 't', namespace, { allowedNamespaces: [namespace, shared, created] });
  const ns = (name: string, annotations?: Record<string, string>) => manifest(`deploy/${name}.yaml`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name, ...(annotations && { annotations }) } });
  const ours = manifest('deploy/ours.yaml', configMap('ours', { a: '1' }, shared));
  const keep = manifest('deploy/keep.yaml', configMap('keep', { a: '1' }));
  beforeAll(async () => {
    await createNamespace(client, namespace);
    // another team's namespace and data, there before Git declares it (case 17)
    await kubectl(['create', 'namespace', shared]);
    await kubectl(['-n', shared, 'create', 'configmap', 'other-team-data', '--from-literal=owner=other-team']);
  });
  afterAll(() => kubectl(['delete', 'namespace', shared, '--wait=false']));

  it('refuses to adopt an existing namespace without an opt-in, naming the file, and writes nothing', async () => {
    const err = await plan([ns(shared), ours, keep], ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ManifestError);
    expect((err as ManifestError).problems).toEqual([
      { subject: `Namespace/${shared}`, file: `deploy/${shared}.yaml`, message: 'exists and was not created by target t (written by kubectl-create); to adopt it, annotate its manifest driftless.io/adopt: "true" or set ownership.adopt: all for the target' },
    ]);
    expect(await live('v1', 'ConfigMap', shared, 'ours')).toBeUndefined();
  });

  it('adopts it when its manifest opts in, and shows that in the preview', async () => {
    const set = [ns(shared, { [ownershipKeys.adopt]: 'true' }), ns(created), ours, keep];
    const shown = await preview(set, ctx);
    expect(shown[`Namespace/${shared}`]).toMatchObject({ action: 'adopted', reason: expect.stringContaining('prune will release it, not delete it') });
    expect(shown[`Namespace/${created}`]?.action).toBe('created');
    const changes = await syncSet(set, ctx);
    expect(changes[`Namespace/${shared}`]?.action).toBe('adopted');
    const adopted = await live('v1', 'Namespace', undefined, shared);
    expect(adopted?.metadata.labels?.[applySetKeys.partOf]).toBe(ctx.parent.id);
    expect(adopted?.metadata.annotations?.[ownershipKeys.adopted]).toBe('true');
  });

  it('releases the adopted namespace and deletes the one it created when Git drops both', async () => {
    const shown = await preview([keep], ctx);
    expect(shown[`Namespace/${shared}`]).toMatchObject({ action: 'released', reason: expect.stringContaining('adopted, not created by this target') });
    expect(shown[`Namespace/${created}`]?.action).toBe('deleted');
    expect(shown[`ConfigMap/${shared}/ours`]?.action).toBe('deleted');

    const changes = await syncSet([keep], ctx);
    expect(changes[`Namespace/${shared}`]?.action).toBe('released');
    expect(changes[`Namespace/${created}`]?.action).toBe('deleted');
    const released = await live('v1', 'Namespace', undefined, shared);
    expect((released?.status as { phase: string }).phase).toBe('Active');
    expect(released?.metadata.deletionTimestamp).toBeUndefined();
    expect(released?.metadata.labels?.[applySetKeys.partOf]).toBeUndefined();
    expect(released?.metadata.annotations?.[ownershipKeys.adopted]).toBeUndefined();
    expect(managersOf(released)).not.toContain('driftless/Apply');
    expect((await live('v1', 'ConfigMap', shared, 'other-team-data'))?.data).toEqual({ owner: 'other-team' });
    expect(await live('v1', 'ConfigMap', shared, 'ours')).toBeUndefined();
    expect((await live('v1', 'Namespace', undefined, created))?.metadata.deletionTimestamp ?? 'gone').toBeTruthy();
    // no longer a member: the next sync has nothing to prune
    expect(Object.values(await syncSet([keep], ctx)).map((c) => c.action)).toEqual(['unchanged']);
  });

  it('adopts without annotations when the target opts in', async () => {
    const all = targetContext(client, discovery, 't', namespace, { allowedNamespaces: [namespace, shared], ownership: { adopt: 'all' } });
    expect((await preview([ns(shared), keep], all))[`Namespace/${shared}`]?.action).toBe('adopted');
  });
});

describe('two targets declaring one object', () => {
  const namespace = uniqueName('own-two');
  const first = targetContext(client, discovery, 'shop-a', namespace, { ownership: { adopt: 'all' } });
  const second = targetContext(client, discovery, 'shop-b', namespace, { ownership: { adopt: 'all' } });
  const shared = manifest('deploy/shared.yaml', configMap('shared', { owner: 'a' }));
  beforeAll(() => createNamespace(client, namespace));

  it('never lets the second take over the first one’s member, even adopting everything', async () => {
    await syncSet([shared, manifest('deploy/a.yaml', configMap('a', { x: '1' }))], first);
    const before = await live('v1', 'ConfigMap', namespace, 'shared');

    const taking = { ...shared, object: { ...shared.object, data: { owner: 'b' } } } as typeof shared;
    const err = (await plan([taking, manifest('deploy/b.yaml', configMap('b', { x: '1' }))], second).catch((e: unknown) => e)) as ManifestError;
    expect(err).toBeInstanceOf(ManifestError);
    expect(err.problems).toEqual([{ subject: `ConfigMap/${namespace}/shared`, file: 'deploy/shared.yaml', message: "belongs to target shop-a; target shop-b does not take over another target's objects: declare it in one of them only" }]);
    expect(err.message).toContain('deploy/shared.yaml');

    // the second target drops it again: nothing of the first target's is touched
    const changes = await syncSet([manifest('deploy/b.yaml', configMap('b', { x: '1' }))], second);
    expect(Object.keys(changes)).toEqual([`ConfigMap/${namespace}/b`]);
    const after = await live('v1', 'ConfigMap', namespace, 'shared');
    expect(after?.metadata.resourceVersion).toBe(before?.metadata.resourceVersion);
    expect(after?.data).toEqual({ owner: 'a' });
  });
});

describe('two targets that plan to create the same object at the same moment', () => {
  const namespace = uniqueName('own-race');
  const redis = new Redis(process.env.REDIS_URL!);
  const locks = new CreationLockStore(redis, keys(`race-${namespace}`));
  const guarded = (target: string) => ({ ...targetContext(client, discovery, target, namespace), serializeCreates: <T>(work: () => Promise<T>) => locks.run('test', work) });
  beforeAll(() => createNamespace(client, namespace));
  afterAll(() => redis.quit());

  it('lets one create it; the other writes nothing and names the winner (repro.sh neighbour at start-up)', async () => {
    const first = guarded('race-a');
    const second = guarded('race-b');
    const shared = (owner: string) => manifest('deploy/shared.yaml', configMap('shared', { owner }));
    // both plans see no object: each would create it
    const [planA, planB] = await Promise.all([plan([shared('a')], first), plan([shared('b')], second)]);
    expect(planA.objects[0]?.change.action).toBe('created');
    expect(planB.objects[0]?.change.action).toBe('created');

    const results = await Promise.allSettled([apply(planA, first), apply(planB, second)]);
    const won = results.findIndex((r) => r.status === 'fulfilled');
    const lost = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const winner = won === 0 ? first : second;
    const loser = won === 0 ? second : first;
    expect(lost?.reason).toBeInstanceOf(ManifestError);
    expect((lost!.reason as ManifestError).problems).toEqual([
      { subject: `ConfigMap/${namespace}/shared`, file: 'deploy/shared.yaml', message: `was created by target ${winner.parent.target} after this sync planned it; nothing was written` },
    ]);
    const object = await live('v1', 'ConfigMap', namespace, 'shared');
    expect(object?.metadata.labels?.[applySetKeys.partOf]).toBe(winner.parent.id);
    expect(object?.data).toEqual({ owner: winner === first ? 'a' : 'b' });
    expect(loser.parent.id).not.toBe(winner.parent.id);
  });
});
