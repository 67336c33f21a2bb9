import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getObject } from '../../src/kube/objects.js';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { jobId, queueNames } from '../../src/queue/jobs.js';
import { keys } from '../../src/store/keys.js';
import { DriftlessHarness, issueCommentPayload, pushPayload, sign } from '../helpers/driftless.js';
import { createNamespace, testKube, uniqueName } from '../helpers/kube.js';
import { cm } from '../helpers/manifests.js';

const { client, discovery } = testKube();

async function configMap(namespace: string, name: string) {
  const info = (await discovery.resourceFor('v1', 'ConfigMap'))!;
  return getObject(client, info, namespace, name);
}

describe('push to deploy on GitHub', () => {
  let h: DriftlessHarness;
  let namespace: string;
  beforeAll(async () => {
    namespace = uniqueName('gh');
    await createNamespace(client, namespace);
    h = await DriftlessHarness.start({ namespace });
  });
  afterAll(async () => {
    await h?.close();
    client.close();
  });

  const finalState = (sha: string) => async () => h.statuses(sha).find((s) => s.context === `driftless/${namespace}` && s.state !== 'pending')?.state;

  it('deploys a signed push, reports queued → applying → success, and prunes what Git drops', async () => {
    const first = await h.commitAndPush('add app', { 'deploy/a.yaml': cm('a', '1'), 'deploy/b.yaml': cm('b', '1'), 'README.md': '# shop' });
    expect(first.res).toEqual({ status: 202, body: { result: 'queued', targets: [namespace] } });
    await expect.poll(finalState(first.sha), { timeout: 30_000 }).toBe('success');
    // GitHub lists statuses newest first
    const states = h.statuses(first.sha).map((s) => [s.state, s.description]).reverse();
    expect(states[0]).toEqual(['pending', 'queued']);
    expect(states).toContainEqual(['pending', 'applying']);
    expect(states.at(-1)).toEqual(['success', 'deployed: 2 created']);
    expect((await configMap(namespace, 'a'))?.data).toEqual({ value: '1' });

    const second = await h.commitAndPush('change a, drop b', { 'deploy/a.yaml': cm('a', '2'), 'deploy/b.yaml': null });
    await expect.poll(finalState(second.sha), { timeout: 30_000 }).toBe('success');
    expect(h.statuses(second.sha)[0]?.description).toBe('deployed: 1 configured, 1 deleted');
    expect((await configMap(namespace, 'a'))?.data).toEqual({ value: '2' });
    expect(await configMap(namespace, 'b')).toBeUndefined();
  });

  it.each([
    { name: 'invalid YAML', file: 'deploy/bad.yaml', content: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\n', expect: /deploy\/bad\.yaml/ },
    { name: 'an unknown kind', file: 'deploy/widget.yaml', content: 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n', expect: /unknown kind Widget.*deploy\/widget\.yaml|deploy\/widget\.yaml.*unknown kind Widget/ },
    { name: 'a forbidden namespace', file: 'deploy/other.yaml', content: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: o, namespace: kube-system}\ndata: {a: "1"}\n', expect: /kube-system/ },
  ])('changes nothing and fails naming the file for $name', async ({ file, content, expect: pattern }) => {
    const before = (await configMap(namespace, 'a'))?.metadata.resourceVersion;
    const { sha } = await h.commitAndPush(`break: ${file}`, { 'deploy/a.yaml': cm('a', 'changed'), [file]: content });
    await expect.poll(finalState(sha), { timeout: 30_000 }).toBe('failure');
    const failure = h.statuses(sha)[0]!;
    expect(failure.description).toMatch(pattern);
    expect(failure.description?.length).toBeLessThanOrEqual(140);
    expect((await configMap(namespace, 'a'))?.metadata.resourceVersion).toBe(before);
    await h.repo.commit(`revert ${file}`, { [file]: null, 'deploy/a.yaml': cm('a', '2') });
  });

  it('deploys a redelivered push once', async () => {
    const deliveryId = `redelivery-${Date.now()}`;
    const { sha, res, body } = await h.commitAndPush('one delivery', { 'deploy/c.yaml': cm('c', '1') }, { deliveryId });
    expect(res.status).toBe(202);
    const again = await h.push(body, { deliveryId });
    expect(again).toEqual({ status: 200, body: { result: 'duplicate' } });
    await expect.poll(finalState(sha), { timeout: 30_000 }).toBe('success');
    expect(h.statuses(sha).filter((s) => s.description === 'queued')).toHaveLength(1);
  });

  it('answers a copy of a delivery still being taken in 503 with Retry-After, not "duplicate", queues nothing for it, and takes it in once the hold is gone', async () => {
    // a comment command claims its delivery before it queues anything (as every delivery does
    // with replicas to wait for); the hold is what an intake that lost Redis before it could
    // forget its claim leaves behind, for 15 s
    const deliveryId = `in-flight-${Date.now()}`;
    const redis = new Redis(process.env.REDIS_URL!);
    const pulls = new Queue(queueNames.pulls, { connection: redis, prefix: h.config.redis.prefix });
    try {
      const held = keys(h.config.redis.prefix).delivery('github', deliveryId);
      await redis.set(held, 'in-flight', 'EX', 15);
      const body = issueCommentPayload({ repo: h.repoName, number: 7, body: '/help', user: 'octocat' });
      const headers = { 'content-type': 'application/json', 'x-github-event': 'issue_comment', 'x-github-delivery': deliveryId, 'x-hub-signature-256': sign(h.secret, body) };
      const res = await fetch(`${h.url}/webhooks/github`, { method: 'POST', headers, body });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(await res.json()).toEqual({ error: 'an earlier copy of this delivery is still being taken in; redeliver it in a few seconds' });
      const command = jobId('command', 'github', deliveryId);
      expect(await pulls.getJob(command)).toBeUndefined();
      await redis.del(held);
      expect((await fetch(`${h.url}/webhooks/github`, { method: 'POST', headers, body })).status).toBe(202);
      expect(await pulls.getJob(command)).toBeDefined();
    } finally {
      await pulls.close();
      redis.disconnect();
    }
  });

  it('deploys the newest of a burst of 10 pushes and gives every skipped commit a terminal status', async () => {
    const commits: { sha: string; body: string }[] = [];
    for (let i = 1; i <= 10; i++) {
      const before = await h.repo.head();
      const sha = await h.repo.commit(`burst ${i}`, { 'deploy/burst.yaml': cm('burst', String(i)) });
      commits.push({ sha, body: pushPayload({ repo: h.repoName, cloneUrl: 'x', before, after: sha, paths: ['deploy/burst.yaml'] }) });
    }
    const answers = await Promise.all(commits.map((c) => h.push(c.body)));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(202));
    const terminal = (sha: string) => h.statuses(sha).find((s) => s.description !== 'queued' && s.description !== 'applying');
    await expect.poll(() => commits.every((c) => terminal(c.sha)), { timeout: 60_000 }).toBe(true);

    const last = commits.at(-1)!;
    expect(terminal(last.sha)?.description).toMatch(/^deployed/);
    expect((await configMap(namespace, 'burst'))?.data).toEqual({ value: '10' });
    const deployed = commits.filter((c) => terminal(c.sha)?.description?.startsWith('deployed'));
    const superseded = commits.filter((c) => terminal(c.sha)?.description?.startsWith('superseded by'));
    expect(deployed.length + superseded.length).toBe(10);
    expect(deployed.length).toBeLessThanOrEqual(3);
    // newest wins: once a commit is deployed, no older one is deployed after it
    const order = deployed.map((c) => commits.indexOf(c));
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it('retries a failed status post on its own, without re-running the deploy', async () => {
    h.github.failNext('POST', /\/statuses\//, 502, 2);
    const { sha } = await h.commitAndPush('flaky github', { 'deploy/d.yaml': cm('d', '1') });
    await expect.poll(finalState(sha), { timeout: 30_000 }).toBe('success');
    // the two failed posts were "queued" and its first retry; by the second retry "success" was
    // posted, and a status never goes back to an earlier phase of the lifecycle
    await new Promise((r) => setTimeout(r, 4_000));
    const states = h.statuses(sha).map((s) => s.description);
    expect(states[0]).toBe('deployed: 1 created');
    expect(states.filter((d) => d?.startsWith('deployed'))).toHaveLength(1);
    expect(h.github.find('POST', /\/statuses\//).filter((r) => r.status === 502)).toHaveLength(2);
    const runs = await h.history(namespace);
    expect(runs.filter((r) => r.revision === sha)).toHaveLength(1);
  });

  it('never logs a token or the webhook secret, even at debug level', () => {
    expect(h.logs.lines.length).toBeGreaterThan(5);
    expect(h.logs.text).not.toContain(h.githubToken);
    expect(h.logs.text).not.toContain(h.secret);
    expect(h.logs.text).not.toContain(Buffer.from(`x-access-token:${h.githubToken}`).toString('base64'));
  });
});
