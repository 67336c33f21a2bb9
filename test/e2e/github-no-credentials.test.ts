import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DriftlessHarness } from '../helpers/driftless.js';
import { createNamespace, testKube, uniqueName } from '../helpers/kube.js';
import { cm } from '../helpers/manifests.js';

const { client } = testKube();

describe('GitHub configured for webhooks only (no token, no App)', () => {
  let h: DriftlessHarness;
  let namespace: string;
  beforeAll(async () => {
    namespace = uniqueName('gh-nocreds');
    await createNamespace(client, namespace);
    h = await DriftlessHarness.start({ namespace, githubWithoutCredentials: true });
  });
  afterAll(async () => {
    if (process.env.SHOW_LOGS) console.log(h?.logs.text);
    await h?.close();
    client.close();
  });

  it('deploys the push and sends GitHub nothing: statuses and deployments are skipped, not refused and retried', async () => {
    const { sha, res } = await h.commitAndPush('add app', { 'deploy/a.yaml': cm('a', '1') });
    expect(res.status).toBe(202);
    await expect.poll(async () => (await h.history(namespace)).find((e) => e.revision === sha)?.result, { timeout: 30_000 }).toBe('succeeded');
    // the reports of this sync were queued (and would have been sent by now); none reached the API
    await new Promise((r) => setTimeout(r, 500));
    expect(h.github.requests.map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });
});
