import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitHubProvider } from '../../src/providers/github/client.js';
import { ProviderError } from '../../src/providers/types.js';
import { GitHubStandIn } from '../helpers/github-standin.js';
import { rejection } from '../helpers/rejection.js';

// GitHub's limits as the real Octokit (throttling and retry plugins) meets them: the stand-in
// answers with GitHub's status codes, bodies and headers.

const TOKEN = 'ghp_rate_limit_token';
const REPO = 'acme/shop';
const status = (c: string) => ({ sha: c.repeat(40), context: 'driftless/shop', state: 'success' as const, description: 'deployed' });

describe('GitHub rate limits', () => {
  let standin: GitHubStandIn;
  beforeAll(async () => {
    standin = await GitHubStandIn.start({ token: TOKEN });
  });
  afterAll(() => standin.close());

  const provider = (limits: ConstructorParameters<typeof GitHubProvider>[0]['limits'] = {}) => new GitHubProvider({ apiUrl: standin.url, token: TOKEN, limits: { writeIntervalMs: 1, ...limits } });
  const posts = (sha: string) => standin.find('POST', new RegExp(`/statuses/${sha}$`)).map((r) => r.status);

  const replies = (pr: number) => standin.find('POST', new RegExp(`/issues/${pr}/comments$`)).map((r) => r.status);

  it('waits for x-ratelimit-reset after a primary limit (403, remaining 0), then posts', async () => {
    // the reset is a whole epoch second: two ahead of this one is always at least one second away
    // (one ahead was 89 ms away once, in CI, when the test started late in a second)
    standin.rateLimit('POST', /\/issues\/1\/comments$/, { kind: 'primary', resetInSeconds: 2 });
    const started = Date.now();
    await provider().replyToPullRequest(REPO, 1, 'Not running /deploy: ...');
    // the plugin adds a second to the reset: it asks again once, after it
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(replies(1)).toEqual([403, 201]);
  }, 20_000);

  it.each([403, 429] as const)('waits for retry-after after a secondary limit (%i), then posts', async (code) => {
    const pr = code === 403 ? 2 : 3;
    standin.rateLimit('POST', new RegExp(`/issues/${pr}/comments$`), { kind: 'secondary', retryAfterSeconds: 1, status: code });
    const started = Date.now();
    await provider().replyToPullRequest(REPO, pr, 'reply');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(replies(pr)).toEqual([code, 201]);
  }, 20_000);

  it('fails at once, saying when the limit lifts, when that is past maxRateLimitWait', async () => {
    standin.rateLimit('POST', /\/issues\/4\/comments$/, { kind: 'primary', resetInSeconds: 3600 });
    const started = Date.now();
    const err = await rejection(provider({ maxRateLimitWaitMs: 5_000 }).replyToPullRequest(REPO, 4, 'reply'));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ status: 403, permanent: false });
    const retryAt = (err as ProviderError).retryAt!;
    expect(retryAt).toBeGreaterThan(Date.now() + 3_500_000);
    expect(retryAt).toBeLessThan(Date.now() + 3_700_000);
  });

  it('never waits or retries inside a status post: its report job does, claiming its rank again', async () => {
    standin.rateLimit('POST', /\/statuses\/d+$/, { kind: 'secondary', retryAfterSeconds: 1 });
    const err = await rejection(provider().setStatus(REPO, status('d')));
    expect(err).toMatchObject({ status: 403, permanent: false });
    expect((err as ProviderError).retryAt).toBeGreaterThan(Date.now());
    standin.failNext('POST', /\/statuses\/e+$/, 502);
    await expect(provider({ retries: 2, retryBaseMs: 20 }).setStatus(REPO, status('e'))).rejects.toMatchObject({ status: 502, permanent: false });
    expect(posts('d'.repeat(40))).toEqual([403]);
    expect(posts('e'.repeat(40))).toEqual([502]);
  });

  it('retries a 502 within the call, with backoff', async () => {
    standin.failNext('GET', /\/pulls\/5$/, 502, 2);
    standin.setPull(REPO, { number: 5, head: { ref: 'f', sha: 'f'.repeat(40) }, base: { ref: 'main' } });
    expect((await provider({ retries: 2, retryBaseMs: 20 }).pullRequest(REPO, 5)).number).toBe(5);
    expect(standin.find('GET', /\/pulls\/5$/).map((r) => r.status)).toEqual([502, 502, 200]);
  });

  it('spaces writes writeIntervalMs apart', async () => {
    const github = provider({ writeIntervalMs: 300 });
    const started = Date.now();
    await Promise.all(['1', '2', '3'].map((c) => github.setStatus(REPO, status(c))));
    // three writes, two gaps
    expect(Date.now() - started).toBeGreaterThanOrEqual(580);
  });
});
