import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getObject, type KubeObject } from '../../src/kube/objects.js';
import { DriftlessHarness } from '../helpers/driftless.js';
import { createNamespace, testKube, uniqueName } from '../helpers/kube.js';
import { cm } from '../helpers/manifests.js';

const { client, discovery } = testKube();
afterAll(() => client.close());
const cmPath = (namespace: string, name: string) => `/api/v1/namespaces/${namespace}/configmaps/${name}`;

/** A change made by hand, as `kubectl edit` would: a merge patch by another field manager. */
const editByHand = (namespace: string, name: string, patch: object) =>
  client.request('PATCH', cmPath(namespace, name), { body: patch, contentType: 'application/merge-patch+json', query: { fieldManager: 'kubectl-edit' } });
const value = async (namespace: string, name: string) => {
  const live = await getObject(client, (await discovery.resourceFor('v1', 'ConfigMap'))!, namespace, name);
  return (live as KubeObject | undefined)?.data as { value?: string } | undefined;
};

describe.each(['warn', 'heal'] as const)('the reconcile loop with drift: %s', (mode) => {
  let h: DriftlessHarness;
  let namespace: string;
  beforeAll(async () => {
    namespace = uniqueName(`rc-${mode}`);
    await createNamespace(client, namespace);
    h = await DriftlessHarness.start({ namespace, targetYaml: `    reconcile: { interval: 1s, drift: ${mode} }` });
  });
  afterAll(() => h?.close());

  it(`detects objects changed and deleted by hand${mode === 'heal' ? ' and corrects them' : ', and leaves them'}`, async () => {
    const { sha } = await h.commitAndPush('app', { 'deploy/a.yaml': cm('a', '1'), 'deploy/b.yaml': cm('b', '1'), 'deploy/keep.yaml': cm('keep', '1') });
    await expect.poll(() => h.statuses(sha).find((s) => s.state === 'success'), { timeout: 30_000 }).toBeTruthy();
    await editByHand(namespace, 'keep', { metadata: { annotations: { 'driftless.io/reconcile': 'disabled' } }, data: { value: 'mine' } });
    await editByHand(namespace, 'a', { data: { value: 'by hand' } });
    await client.request('DELETE', cmPath(namespace, 'b'));

    const expected = mode === 'heal' ? 'healed' : 'drifted';
    await expect.poll(async () => (await h.history(namespace)).find((e) => e.result === expected), { timeout: 20_000 }).toBeTruthy();
    const entry = (await h.history(namespace)).find((e) => e.result === expected)!;
    expect(entry.revision).toBe(sha);
    expect(entry.message).toContain(`ConfigMap/${namespace}/a (changed)`);
    expect(entry.message).toContain(`ConfigMap/${namespace}/b (missing)`);
    expect(entry.message).not.toContain('keep');
    // the objects themselves, with their diffs, for the dashboard's timeline
    expect(entry.changes?.map((c) => c.subject).sort()).toEqual([`ConfigMap/${namespace}/a`, `ConfigMap/${namespace}/b`]);
    expect(entry.changes?.find((c) => c.subject === `ConfigMap/${namespace}/a`)?.diff).toContain('by hand');

    if (mode === 'heal') {
      expect(await value(namespace, 'a')).toEqual({ value: '1' });
      expect(await value(namespace, 'b')).toEqual({ value: '1' });
    } else {
      expect(await value(namespace, 'a')).toEqual({ value: 'by hand' });
      expect(await value(namespace, 'b')).toBeUndefined();
      const metrics = await (await fetch(`${h.url}/metrics`)).text();
      expect(metrics).toMatch(new RegExp(`driftless_drifted_objects\\{target="${namespace}"\\} 2`));
      // the same drift, found again every interval, is one line of history, not one per interval
      await new Promise((r) => setTimeout(r, 3_500));
      expect((await h.history(namespace)).filter((e) => e.result === 'drifted')).toHaveLength(1);
    }
    expect(await value(namespace, 'keep')).toEqual({ value: 'mine' });
  });

  it('deploys a commit whose webhook never arrived within one interval', async () => {
    const sha = await h.repo.commit('no webhook for this one', { 'deploy/late.yaml': cm('late', '1') });
    await expect.poll(() => h.statuses(sha).find((s) => s.state === 'success')?.description, { timeout: 20_000 }).toMatch(/^deployed/);
    expect(await value(namespace, 'late')).toEqual({ value: '1' });
    const entry = (await h.history(namespace)).find((e) => e.revision === sha && e.result === 'succeeded');
    expect(entry?.trigger.kind).toBe('schedule');
  });
});
