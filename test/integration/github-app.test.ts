import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitHubProvider } from '../../src/providers/github/client.js';
import { ProviderError } from '../../src/providers/types.js';
import { testAppKey } from '../helpers/github-app.js';
import { GitHubStandIn } from '../helpers/github-standin.js';
import { rejection } from '../helpers/rejection.js';

// GitHub App authentication with the real @octokit/auth-app: the stand-in checks the RS256 JWT
// against the App's public key and mints expiring installation tokens.

const APP_ID = 4242;
const key = testAppKey();
const status = (c: string) => ({ sha: c.repeat(40), context: 'driftless/shop', state: 'success' as const, description: 'deployed' });
const limits = { writeIntervalMs: 1, retries: 0 };

describe('GitHubProvider as a GitHub App', () => {
  let standin: GitHubStandIn;
  beforeAll(async () => {
    standin = await GitHubStandIn.start({ app: { appId: APP_ID, slug: 'driftless', publicKey: key.publicKey, installations: { 'acme/shop': 11, 'acme/other': 12 }, tokenLifetimeSeconds: 4 } });
  });
  afterAll(() => standin.close());

  const authOf = (path: RegExp) => standin.requests.filter((r) => path.test(r.path)).map((r) => r.headers.authorization);

  it('finds the installation per repository, mints a token once, and clones with the same token', async () => {
    const github = new GitHubProvider({ apiUrl: standin.url, app: { appId: APP_ID, privateKey: key.privateKey }, limits });
    expect(github.checks).toBeDefined();
    await github.setStatus('acme/shop', status('a'));
    await github.setStatus('acme/shop', status('b'));
    const credentials = await github.gitCredentials('acme/shop');

    expect(standin.find('GET', /^\/repos\/acme\/shop\/installation$/)).toHaveLength(1);
    expect(standin.find('POST', /^\/app\/installations\/11\/access_tokens$/)).toHaveLength(1);
    const minted = standin.tokens.find((t) => t.installationId === 11)!.token;
    expect(authOf(/\/statuses\//)).toEqual([`token ${minted}`, `token ${minted}`]);
    expect(credentials).toEqual({ username: 'x-access-token', token: minted });
    // the App endpoints took a JWT
    expect(authOf(/^\/app\/installations\//)[0]).toMatch(/^bearer [\w-]+\.[\w-]+\.[\w-]+$/);

    await github.setStatus('acme/other', status('c'));
    expect(standin.find('POST', /^\/app\/installations\/12\/access_tokens$/)).toHaveLength(1);
  });

  it('refreshes a token before it expires, mid-run', async () => {
    const github = new GitHubProvider({ apiUrl: standin.url, app: { appId: APP_ID, privateKey: key.privateKey, installationId: 11 }, limits });
    standin.clearRequests();
    await github.setStatus('acme/shop', status('d'));
    const first = (await github.gitCredentials('acme/shop'))!.token;
    // 4 s tokens are refreshed in their last second
    await new Promise((r) => setTimeout(r, 3_100));
    await github.setStatus('acme/shop', status('e'));
    const second = (await github.gitCredentials('acme/shop'))!.token;
    expect(second).not.toBe(first);
    expect(standin.find('POST', /\/access_tokens$/)).toHaveLength(2);
    expect(standin.find('POST', /\/statuses\//).map((r) => r.status)).toEqual([201, 201]);
    // a configured installation is not looked up
    expect(standin.find('GET', /\/installation$/)).toHaveLength(0);
  }, 20_000);

  it('replaces a token GitHub refuses before its expiry (revoked), once', async () => {
    const hourly = await GitHubStandIn.start({ app: { appId: APP_ID, slug: 'driftless', publicKey: key.publicKey, installations: { 'acme/shop': 11 } } });
    try {
      const github = new GitHubProvider({ apiUrl: hourly.url, app: { appId: APP_ID, privateKey: key.privateKey }, limits });
      await github.setStatus('acme/shop', status('f'));
      // within 5 s of minting, auth-app takes a 401 for GitHub's replication delay and asks again itself
      await new Promise((r) => setTimeout(r, 5_100));
      hourly.expireTokens();
      hourly.clearRequests();
      await github.setStatus('acme/shop', status('0'));
      expect(hourly.find('POST', /\/statuses\//).map((r) => r.status)).toEqual([401, 201]);
      expect(hourly.find('POST', /\/access_tokens$/)).toHaveLength(1);
    } finally {
      await hourly.close();
    }
  }, 30_000);

  it('refuses a repository the App is not installed on, for good', async () => {
    const github = new GitHubProvider({ apiUrl: standin.url, app: { appId: APP_ID, privateKey: key.privateKey }, limits });
    const err = await rejection(github.setStatus('acme/elsewhere', status('1')));
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ status: 404, permanent: true });
    expect((err as Error).message).toContain('the GitHub App 4242 is not installed on acme/elsewhere');
  });

  it('is refused with a JWT signed by another key', async () => {
    const github = new GitHubProvider({ apiUrl: standin.url, app: { appId: APP_ID, privateKey: testAppKey().privateKey }, limits });
    const err = await rejection(github.setStatus('acme/shop', status('2')));
    expect(err).toMatchObject({ status: 401, permanent: true });
    expect((err as Error).message).toContain('A JSON web token could not be decoded');
  });

  it('acts as <slug>[bot] for its own comments', async () => {
    const github = new GitHubProvider({ apiUrl: standin.url, app: { appId: APP_ID, privateKey: key.privateKey }, limits });
    standin.setPull('acme/shop', { number: 3, head: { ref: 'f', sha: '3'.repeat(40) }, base: { ref: 'main' } });
    await github.upsertPullRequestComment('acme/shop', 3, '<!-- m -->', 'one');
    await github.upsertPullRequestComment('acme/shop', 3, '<!-- m -->', 'two');
    expect(standin.comments('acme/shop', 3).map((c) => [c.user.login, c.body])).toEqual([['driftless[bot]', '<!-- m -->\ntwo']]);
    expect(standin.find('GET', /^\/app$/)).toHaveLength(1);
  });

  it('works against GitHub Enterprise Server (/api/v3)', async () => {
    const ghes = await GitHubStandIn.start({ enterprise: true, app: { appId: APP_ID, slug: 'driftless', publicKey: key.publicKey, installations: { 'acme/shop': 7 } } });
    try {
      const github = new GitHubProvider({ apiUrl: `${ghes.url}/api/v3`, app: { appId: APP_ID, privateKey: key.privateKey }, limits });
      await github.setStatus('acme/shop', status('9'));
      expect(ghes.statuses('acme/shop', '9'.repeat(40))[0]?.state).toBe('success');
      expect(ghes.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
        'GET /api/v3/repos/acme/shop/installation 200',
        'POST /api/v3/app/installations/7/access_tokens 201',
        `POST /api/v3/repos/acme/shop/statuses/${'9'.repeat(40)} 201`,
      ]);
      await expect(github.cloneUrl('acme/shop')).resolves.toBe(`${ghes.url}/acme/shop.git`);
    } finally {
      await ghes.close();
    }
  });
});

describe('check runs through the Checks API', () => {
  it('creates a run, sends annotations in batches of 50, and starts a new run after a completed one', async () => {
    const standin = await GitHubStandIn.start({ app: { appId: APP_ID, slug: 'driftless', publicKey: key.publicKey, installations: { 'acme/shop': 11 } } });
    try {
      const github = new GitHubProvider({ apiUrl: standin.url, app: { appId: APP_ID, privateKey: key.privateKey }, limits });
      const sha = '5'.repeat(40);
      const annotations = Array.from({ length: 120 }, (_, i) => ({ path: `deploy/${i}.yaml`, startLine: i + 1, endLine: i + 1, level: 'notice' as const, title: `create ConfigMap/shop/${i}`, message: 'new' }));
      await github.checks!.upsertCheckRun('acme/shop', { name: 'driftless/shop/diff', sha, status: 'queued', output: { title: 'planning', summary: 'planning' } });
      await github.checks!.upsertCheckRun('acme/shop', { name: 'driftless/shop/diff', sha, status: 'completed', conclusion: 'success', output: { title: '120 to create', summary: 'table', text: 'diffs', annotations } });
      const [run] = standin.checkRuns('acme/shop', sha);
      expect(run?.history.map((h) => h.status)).toEqual(['queued', 'completed', 'completed', 'completed']);
      expect(run?.annotations.map((a) => a.start_line)).toEqual(annotations.map((a) => a.startLine));
      expect(standin.find('PATCH', /\/check-runs\/\d+$/).map((r) => ((r.body as { output: { annotations: unknown[] } }).output.annotations.length))).toEqual([50, 50, 20]);
      // a new sync of a completed commit is a new run
      await github.checks!.upsertCheckRun('acme/shop', { name: 'driftless/shop/diff', sha, status: 'queued', output: { title: 'planning', summary: 'planning' } });
      expect(standin.checkRuns('acme/shop', sha)).toHaveLength(2);
    } finally {
      await standin.close();
    }
  });

  it('a token install has no check runs: GitHub refuses them to tokens', async () => {
    const standin = await GitHubStandIn.start({ token: 't' });
    try {
      expect(new GitHubProvider({ apiUrl: standin.url, token: 't', limits }).checks).toBeUndefined();
    } finally {
      await standin.close();
    }
  });
});
