import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DriftlessHarness } from '../helpers/driftless.js';
import { cm } from '../helpers/manifests.js';

// Driftless authenticated as a GitHub App end to end: installation tokens minted by the stand-in
// (4 s lifetime, so one run outlives its first token) for the API and for cloning.

describe('GitHub App authentication', () => {
  let h: DriftlessHarness;
  let namespace: string;
  beforeAll(async () => {
    ({ h, namespace } = await DriftlessHarness.startInNewNamespace('ghapp', { githubApp: { tokenLifetimeSeconds: 4 } }));
  });
  afterAll(() => h?.close());

  // as an App, the deploy reports with its check run
  const final = (sha: string) => () => h.github.checkRuns(h.repoName, sha).find((r) => r.name === `driftless/${namespace}` && r.status === 'completed')?.output.title;

  it('deploys with installation tokens, cloning with the same token, and refreshes an expiring token between runs', async () => {
    const first = await h.commitAndPush('app', { 'deploy/a.yaml': cm('a', '1') });
    await expect.poll(final(first.sha), { timeout: 30_000 }).toBe('deployed: 1 created');
    const firstTokens = h.github.tokens.length;
    expect(firstTokens).toBeGreaterThanOrEqual(1);
    // the git server accepted only tokens the stand-in minted
    expect(h.git.requests.filter((r) => r.authorized).length).toBeGreaterThan(0);
    expect(h.git.requests.filter((r) => !r.authorized && r.status !== 401)).toEqual([]);

    // past the token's refresh margin: the next run mints a new one for the API and the fetch
    await new Promise((r) => setTimeout(r, 3_200));
    const second = await h.commitAndPush('change', { 'deploy/a.yaml': cm('a', '2') });
    await expect.poll(final(second.sha), { timeout: 30_000 }).toBe('deployed: 1 configured');
    expect(h.github.tokens.length).toBeGreaterThan(firstTokens);
    expect(h.github.requests.filter((r) => r.status === 401 && !r.path.startsWith('/app'))).toEqual([]);
    expect(h.logs.text).not.toContain(h.github.tokens[0]!.token);
  }, 60_000);
});
