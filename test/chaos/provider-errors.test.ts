import { afterAll, expect, it } from 'vitest';
import { cm } from '../helpers/manifests.js';
import { leakedSecrets, recordResult, startChaosTarget, terminalStatuses, type ChaosTarget } from './lib.js';

// GitHub answers 502 and then a rate limit while the deploy's statuses are posted: every report
// is retried on its own, and the deploy runs once.

let target: ChaosTarget | undefined;
afterAll(() => target?.close());

it('reports are retried on their own through 502s and a rate limit; the deploy runs once', async () => {
  target = await startChaosTarget('gh502');
  const { h, namespace } = target;
  h.github.failNext('POST', /\/statuses\//, 502, 2);
  h.github.failNext('POST', /\/statuses\//, 403, 1, { message: 'API rate limit exceeded for installation ID 1.', documentation_url: 'https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting' });
  const pushed = await target.push('app', { 'deploy/app.yaml': cm('app', '1') });
  expect(pushed.status).toBe(202);
  const started = Date.now();
  await expect.poll(() => terminalStatuses(h, pushed.sha, namespace).map((s) => s.state), { timeout: 60_000, interval: 250 }).toEqual(['success']);
  const convergeMs = Date.now() - started;

  const refused = h.github.find('POST', /\/statuses\//).filter((r) => r.status >= 400).map((r) => r.status);
  expect(refused).toEqual([502, 502, 403]);
  const history = await h.history(namespace);
  expect(history.filter((e) => e.revision === pushed.sha).map((e) => e.result)).toEqual(['succeeded']);
  expect(leakedSecrets(target.logs(), [h.githubToken, h.secret])).toEqual([]);
  recordResult({ case: 'provider-errors', fault: 'GitHub answers 502 twice, then 403 rate limit, to status posts', asserted: 'statuses posted after retries; one deploy; no token in logs', convergeMs });
});
