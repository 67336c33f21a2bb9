import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getObject } from '../../src/kube/objects.js';
import { DriftlessHarness, issueCommentPayload } from '../helpers/driftless.js';
import { testKube } from '../helpers/kube.js';
import { cm } from '../helpers/manifests.js';

const { client, discovery } = testKube();

// The reported faults, through the whole path: webhook → command job → the pull request as the
// GitHub stand-in reports it → authorization by effect → (no) sync. The target keeps the default
// branchDeploys: false.
describe('comment commands are authorized by what they do', () => {
  let h: DriftlessHarness;
  let namespace: string;
  let base: string;
  let head: string;
  beforeAll(async () => {
    ({ h, namespace } = await DriftlessHarness.startInNewNamespace('authz'));
    h.github.setPermission(h.repoName, 'lead', 'maintain');
    h.github.setPermission(h.repoName, 'dev', 'write');
    base = (await h.commitAndPush('base', { 'deploy/a.yaml': cm('a', '1') })).sha;
    for (let i = 0; i < 300 && !h.statuses(base).some((s) => s.state === 'success'); i++) await new Promise((r) => setTimeout(r, 100));
    await h.repo.branch('try');
    await h.repo.checkout('try');
    head = await h.repo.commit('unreviewed', { 'deploy/a.yaml': cm('a', 'unreviewed') });
    await h.repo.checkout('main');
  });
  afterAll(async () => {
    await h?.close();
    client.close();
  });

  const live = async () => ((await getObject(client, (await discovery.resourceFor('v1', 'ConfigMap'))!, namespace, 'a'))?.data as { value?: string } | undefined)?.value;
  /** Posts `body` as `user` on pull request `number` and waits for Driftless's answer to it. */
  const command = async (number: number, body: string, user: string) => {
    const before = h.github.comments(h.repoName, number).length;
    const { id } = h.github.addComment(h.repoName, number, body, user);
    expect((await h.push(issueCommentPayload({ repo: h.repoName, number, body, user, commentId: id }), { event: 'issue_comment' })).status).toBe(202);
    await expect.poll(() => h.github.comments(h.repoName, number).length, { timeout: 10_000 }).toBeGreaterThan(before + 1);
    return h.github.comments(h.repoName, number).slice(before + 1).map((c) => c.body).join('\n');
  };
  /** Nothing ran for `sha`: no status, no history entry, the live object unchanged. */
  const notDeployed = async (sha: string) => {
    await new Promise((r) => setTimeout(r, 1_000));
    expect(h.statuses(sha)).toEqual([]);
    expect((await h.history(namespace)).map((e) => e.revision)).not.toContain(sha);
    expect(await live()).toBe('1');
  };

  it('/deploy on a closed, unmerged pull request does not deploy its head', async () => {
    h.github.setPull(h.repoName, { number: 21, user: 'dev', state: 'closed', head: { ref: 'try', sha: head }, base: { ref: 'main' } });
    expect(await command(21, '/deploy', 'lead')).toContain(`Not running \`/deploy\`: /deploy on ${namespace} acts on open pull requests only, and this one is closed without being merged.`);
    expect(await command(21, `/deploy ${head.slice(0, 10)}`, 'lead')).toContain('closed without being merged');
    await notDeployed(head);
  });

  it('/deploy on a pull request merged into another branch does not deploy it', async () => {
    h.github.setPull(h.repoName, { number: 22, user: 'dev', state: 'closed', merged: true, head: { ref: 'try', sha: head }, base: { ref: 'develop' } });
    expect(await command(22, `/deploy ${namespace}`, 'lead')).toContain(`acts on it only from pull requests into \`main\`, and this one is into \`develop\``);
    // and /sync, /rollback, /lock from there do not touch the target either
    for (const other of ['/sync', '/rollback', '/lock']) expect(await command(22, other, 'lead')).toContain('and this one is into `develop`');
    await notDeployed(head);
  });

  it('/deploy on an open pull request needs branchDeploys; /lock needs an open pull request', async () => {
    h.github.setPull(h.repoName, { number: 23, user: 'dev', head: { ref: 'try', sha: head }, base: { ref: 'main' } });
    expect(await command(23, '/deploy', 'lead')).toContain('does not deploy pull request heads (branchDeploys: false)');
    h.github.setPull(h.repoName, { number: 24, user: 'dev', state: 'closed', head: { ref: 'try', sha: head }, base: { ref: 'main' } });
    expect(await command(24, '/lock', 'lead')).toContain('acts on open pull requests only');
    await notDeployed(head);
  });

  it('/deploy of an earlier revision is a rollback: refused to a writer, run for a maintainer from a merged pull request', async () => {
    await h.repo.checkout('main');
    const next = await h.commitAndPush('next', { 'deploy/a.yaml': cm('a', '2') });
    await expect.poll(live, { timeout: 30_000 }).toBe('2');
    h.github.setPull(h.repoName, { number: 25, user: 'dev', state: 'closed', merged: true, head: { ref: 'next', sha: next.sha }, base: { ref: 'main' } });
    expect(await command(25, `/deploy ${base.slice(0, 8)}`, 'dev')).toContain('needs maintain permission (a deploy of an earlier revision is a rollback); @dev has write');
    expect(await live()).toBe('2');
    await command(25, `/deploy ${base.slice(0, 8)}`, 'lead');
    await expect.poll(live, { timeout: 30_000 }).toBe('1');
  });
});
