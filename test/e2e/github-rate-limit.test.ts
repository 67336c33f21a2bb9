import { afterAll, beforeAll, expect, it } from 'vitest';
import { DriftlessHarness } from '../helpers/driftless.js';
import { cm } from '../helpers/manifests.js';

// A status post hits a primary rate limit that lifts later than the client waits in-process
// (maxRateLimitWait: 1ms): the report job waits in the delayed set until x-ratelimit-reset and
// posts then; the deploy runs once.

let h: DriftlessHarness;
let namespace: string;
beforeAll(async () => {
  ({ h, namespace } = await DriftlessHarness.startInNewNamespace('ghrl', { githubYaml: 'maxRateLimitWait: 1ms' }));
});
afterAll(() => h?.close());

it('rate-limited status posts wait for the reset and succeed; the deploy runs once', async () => {
  h.github.rateLimit('POST', /\/statuses\//, { kind: 'primary', resetInSeconds: 3 });
  const limited = Date.now();
  const { sha, res } = await h.commitAndPush('app', { 'deploy/app.yaml': cm('app', '1') });
  expect(res.status).toBe(202);
  await expect.poll(() => h.statuses(sha).find((s) => s.context === `driftless/${namespace}` && s.state === 'success')?.description, { timeout: 30_000 }).toBe('deployed: 1 created');
  // the deploy ran while GitHub refused its statuses; they were posted once the limit lifted
  expect(Date.now() - limited).toBeGreaterThanOrEqual(2_000);
  expect(h.github.find('POST', /\/statuses\//).filter((r) => r.status === 403).length).toBeGreaterThanOrEqual(1);
  expect(h.logs.text).toContain('rate limited: the report waits until the limit lifts');
  expect((await h.history(namespace)).filter((e) => e.revision === sha).map((e) => e.result)).toEqual(['succeeded']);
});
