import { createHmac, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getObject } from '../../src/kube/objects.js';
import { DriftlessHarness } from '../helpers/driftless.js';
import { createNamespace, testKube, uniqueName } from '../helpers/kube.js';
import { cm } from '../helpers/manifests.js';

const { client, discovery } = testKube();
const fixtures = path.resolve(import.meta.dirname, '../fixtures/gitlab');

/** GitLab's documented Push Hook example, adjusted to the project, URL and commits. */
async function pushHook(h: DriftlessHarness, before: string, after: string, paths: string[]): Promise<string> {
  const text = (await readFile(path.join(fixtures, 'push.json'), 'utf8'))
    .replaceAll('acme/platform/shop', h.repoName)
    .replaceAll('__GITLAB_URL__', h.gitlab!.url)
    .replaceAll('__GITLAB_HOST__', new URL(h.gitlab!.url).host)
    .replaceAll('__BEFORE_SHA__', before)
    .replaceAll('__AFTER_SHA__', after)
    .replaceAll('__COMMIT_1_SHA__', after);
  const payload = JSON.parse(text) as { commits: { id: string; added: string[]; modified: string[]; removed: string[] }[]; total_commits_count: number };
  payload.commits = [{ ...payload.commits[0]!, id: after, added: [], modified: paths, removed: [] }];
  payload.total_commits_count = 1;
  return JSON.stringify(payload);
}

describe('push to deploy on GitLab, for a project in a subgroup', () => {
  let h: DriftlessHarness;
  let namespace: string;
  beforeAll(async () => {
    namespace = uniqueName('gl');
    await createNamespace(client, namespace);
    h = await DriftlessHarness.start({ namespace, provider: 'gitlab' });
    h.gitlab!.addProject(h.repoName, { id: 4242 });
  });
  afterAll(async () => {
    await h?.close();
    client.close();
  });

  const post = (body: string, headers: Record<string, string>) =>
    fetch(`${h.url}/webhooks/gitlab`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-gitlab-event': 'Push Hook', ...headers }, body }).then(async (r) => ({
      status: r.status,
      body: (await r.json()) as Record<string, unknown>,
    }));
  const finalState = (sha: string) => () => h.statuses(sha).find((s) => !['pending', 'running'].includes(s.state))?.state;

  it('deploys a token-verified Push Hook and reports pending → running → success', async () => {
    const before = '0'.repeat(40).replace(/^0/, '1');
    const sha = await h.repo.commit('app', { 'deploy/a.yaml': cm('a', '1') });
    const key = randomUUID();
    const res = await post(await pushHook(h, before, sha, ['deploy/a.yaml']), { 'x-gitlab-token': h.secret, 'idempotency-key': key });
    expect(res).toEqual({ status: 202, body: { result: 'queued', targets: [namespace] } });
    await expect.poll(finalState(sha), { timeout: 30_000 }).toBe('success');
    // GitLab keeps one status per name and commit, moving it through its states: read the posts
    const posted = h.gitlab!.find('POST', `/statuses/${sha}`).map((r) => (r.body as { state: string }).state);
    expect(posted).toEqual(['pending', 'running', 'success']);
    expect(h.statuses(sha)[0]).toMatchObject({ context: `driftless/${namespace}`, description: 'deployed: 1 created' });
    const info = (await discovery.resourceFor('v1', 'ConfigMap'))!;
    expect((await getObject(client, info, namespace, 'a'))?.data).toEqual({ value: '1' });

    // GitLab retries with the same Idempotency-Key: one deploy
    const retried = await post(await pushHook(h, before, sha, ['deploy/a.yaml']), { 'x-gitlab-token': h.secret, 'idempotency-key': key, 'x-gitlab-webhook-uuid': randomUUID() });
    expect(retried).toEqual({ status: 200, body: { result: 'duplicate' } });
  });

  it.each([
    { name: 'a missing token', headers: {}, status: 401 },
    { name: 'a wrong token', headers: { 'x-gitlab-token': 'x'.repeat(32) }, status: 401 },
    { name: 'a token of another length', headers: { 'x-gitlab-token': 'short' }, status: 401 },
  ] as { name: string; headers: Record<string, string>; status: number }[])('answers $status to $name', async ({ headers, status }) => {
    const sha = await h.repo.head();
    const res = await post(await pushHook(h, sha, sha, ['deploy/a.yaml']), { 'idempotency-key': randomUUID(), ...headers });
    expect(res.status).toBe(status);
    expect(String(res.body.error)).toMatch(/token|X-Gitlab-Token/i);
  });

  it('answers 400 to a malformed body and ignores an unknown project', async () => {
    const bad = await post('{"object_kind": "push",', { 'x-gitlab-token': h.secret, 'idempotency-key': randomUUID() });
    expect(bad.status).toBe(400);
    const sha = await h.repo.head();
    const other = (await pushHook(h, sha, sha, ['deploy/a.yaml'])).replaceAll(h.repoName, 'someone/else');
    const res = await post(other, { 'x-gitlab-token': h.secret, 'idempotency-key': randomUUID() });
    expect(res).toEqual({ status: 200, body: { result: 'ignored', reason: 'no target follows this branch and path' } });
  });

  it('deploys a commit named on the generic endpoint and reports it to GitLab', async () => {
    const sha = await h.repo.commit('generic', { 'deploy/g.yaml': cm('g', '1') });
    const body = JSON.stringify({ repo: `gitlab:${h.repoName}`, ref: 'refs/heads/main', sha });
    const sign = (text: string) => `sha256=${createHmac('sha256', h.secret).update(text).digest('hex')}`;
    const send = (signature: string) =>
      fetch(`${h.url}/webhooks/generic`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-signature-256': signature }, body }).then(async (r) => ({ status: r.status, body: await r.json() }));
    expect((await send(sign('something else'))).status).toBe(401);
    expect(await send(sign(body))).toEqual({ status: 202, body: { result: 'queued', targets: [namespace] } });
    expect(await send(sign(body))).toEqual({ status: 200, body: { result: 'duplicate' } });
    await expect.poll(finalState(sha), { timeout: 30_000 }).toBe('success');
    const info = (await discovery.resourceFor('v1', 'ConfigMap'))!;
    expect((await getObject(client, info, namespace, 'g'))?.data).toEqual({ value: '1' });
  });

  it('never logs the tokens', () => {
    expect(h.logs.text).not.toContain(h.secret);
    expect(h.logs.text).not.toContain(h.githubToken);
  });
});
