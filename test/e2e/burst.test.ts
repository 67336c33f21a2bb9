import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getObject } from '../../src/kube/objects.js';
import { DriftlessHarness } from '../helpers/driftless.js';
import { testKube } from '../helpers/kube.js';
import { cm } from '../helpers/manifests.js';

// targets[].debounce end to end: the web, the sync and report workers, git over smart HTTP,
// the GitHub stand-in and the test API server. No timing is asserted: a lone push proves it is
// not delayed by deploying under a quiet period of an hour.
const { client, discovery } = testKube();

async function configMapValue(namespace: string, name: string): Promise<string | undefined> {
  const info = (await discovery.resourceFor('v1', 'ConfigMap'))!;
  const data = (await getObject(client, info, namespace, name))?.data as Record<string, string> | undefined;
  return data?.value;
}

const terminal = (h: DriftlessHarness, namespace: string, sha: string) =>
  h.statuses(sha).find((s) => s.context === `driftless/${namespace}` && s.state !== 'pending');

afterAll(() => client.close());

describe('a lone push is never debounced', () => {
  let h: DriftlessHarness;
  let namespace: string;
  beforeAll(async () => {
    ({ h, namespace } = await DriftlessHarness.startInNewNamespace('lone', { targetYaml: '    debounce: { quiet: 1h, maxWait: 1h }' }));
  });
  afterAll(() => h?.close());

  it('deploys the first push to a quiet target, and the next one after that deploy, though the quiet period is an hour', async () => {
    for (const value of ['1', '2']) {
      const { sha, res } = await h.commitAndPush(`lone ${value}`, { 'deploy/lone.yaml': cm('lone', value) });
      expect(res.status).toBe(202);
      await expect.poll(() => terminal(h, namespace, sha)?.state, { timeout: 30_000 }).toBe('success');
      expect(await configMapValue(namespace, 'lone')).toBe(value);
    }
  });
});

describe('a burst of pushes to one target', () => {
  let h: DriftlessHarness;
  let namespace: string;
  beforeAll(async () => {
    // a quiet period long enough that the test's own pace cannot split its burst in two
    ({ h, namespace } = await DriftlessHarness.startInNewNamespace('burst', { targetYaml: '    debounce: { quiet: 5s, maxWait: 2m }' }));
  });
  afterAll(() => h?.close());

  it('ends in at most two applies, the last commit deployed and a terminal status for every commit', async () => {
    const startedAt = Date.now();
    const shas: string[] = [];
    // the branch moves with each push, as on a git host
    for (let i = 1; i <= 12; i++) {
      const { sha, res } = await h.commitAndPush(`burst ${i}`, { 'deploy/burst.yaml': cm('burst', String(i)) });
      expect(res.status).toBe(202);
      shas.push(sha);
    }
    await expect.poll(() => shas.every((sha) => terminal(h, namespace, sha)), { timeout: 90_000 }).toBe(true);

    const last = shas.at(-1)!;
    expect(terminal(h, namespace, last)?.description).toMatch(/^deployed/);
    expect(await configMapValue(namespace, 'burst')).toBe('12');
    for (const sha of shas.slice(0, -1)) expect(terminal(h, namespace, sha)?.description).toMatch(/^(deployed|superseded by)/);
    const runs = (await h.history(namespace)).filter((e) => e.startedAt >= startedAt);
    const applies = runs.filter((e) => e.result === 'succeeded');
    expect(applies.length).toBeLessThanOrEqual(2);
    expect(applies.at(0)?.revision).toBe(last);
  });
});
