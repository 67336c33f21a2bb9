import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getObject } from '../../src/kube/objects.js';
import { commentMarker } from '../../src/report/comment.js';
import { DriftlessHarness, issueCommentPayload, pullRequestPayload } from '../helpers/driftless.js';
import { createNamespace, testKube, uniqueName } from '../helpers/kube.js';
import { cm } from '../helpers/manifests.js';

const { client, discovery } = testKube();

describe('pull requests as the control surface (GitHub)', () => {
  let h: DriftlessHarness;
  let namespace: string;
  const PR = 7;
  beforeAll(async () => {
    namespace = uniqueName('pr');
    await createNamespace(client, namespace);
    h = await DriftlessHarness.start({ namespace });
    h.github.setPermission(h.repoName, 'maintainer', 'maintain');
    h.github.setPermission(h.repoName, 'reader', 'read');
  });
  afterAll(async () => {
    if (process.env.DEBUG_PR) {
      console.log(JSON.stringify(h.github.comments(h.repoName, PR).map((c) => c.body), null, 1));
      console.log(h.logs.lines.filter((l) => /"level":(40|50)/.test(l)).join('\n'));
    }
    await h?.close();
    client.close();
  });

  const live = async (name: string) => getObject(client, (await discovery.resourceFor('v1', 'ConfigMap'))!, namespace, name);
  const diffStatus = (sha: string) => h.statuses(sha).find((s) => s.context === `driftless/${namespace}/diff` && s.state !== 'pending');
  const ourComments = () => h.github.comments(h.repoName, PR).filter((c) => c.body.includes(commentMarker));
  /** A comment as GitHub has it (so it can be reacted to), then its webhook. */
  const comment = (body: string, user: string) => {
    const { id } = h.github.addComment(h.repoName, PR, body, user);
    return h.push(issueCommentPayload({ repo: h.repoName, number: PR, body, user, commentId: id }), { event: 'issue_comment' });
  };

  it('previews a pull request in one living comment, runs commands with authorization, holds pushes behind a lock and reports the merge', async () => {
    // main is deployed
    const base = await h.commitAndPush('base', { 'deploy/a.yaml': cm('a', '1') });
    await expect.poll(() => h.statuses(base.sha).find((s) => s.state === 'success'), { timeout: 30_000 }).toBeTruthy();
    const before = (await live('a'))?.metadata.resourceVersion;

    // a pull request changes a and adds b
    await h.repo.branch('feature');
    await h.repo.checkout('feature');
    const head1 = await h.repo.commit('change a, add b', { 'deploy/a.yaml': cm('a', '2'), 'deploy/b.yaml': cm('b', '1') });
    h.github.setPull(h.repoName, { number: PR, user: 'dev', head: { ref: 'feature', sha: head1 }, base: { ref: 'main' } });
    const opened = await h.push(pullRequestPayload({ repo: h.repoName, number: PR, action: 'opened', headRef: 'feature', headSha: head1 }), { event: 'pull_request' });
    expect(opened).toEqual({ status: 202, body: { result: 'queued', targets: [namespace] } });
    await expect.poll(() => diffStatus(head1)?.description, { timeout: 30_000 }).toBe('1 to create, 1 to change');
    await expect.poll(() => ourComments().length, { timeout: 10_000 }).toBe(1);
    expect(ourComments()[0]!.body).toContain('**1 to create, 1 to change**');
    // a preview never writes
    expect((await live('a'))?.metadata.resourceVersion).toBe(before);
    expect(await live('b')).toBeUndefined();

    // a new push to the pull request edits the same comment
    const head2 = await h.repo.commit('and c', { 'deploy/c.yaml': cm('c', '1') });
    h.github.setPull(h.repoName, { number: PR, user: 'dev', head: { ref: 'feature', sha: head2 }, base: { ref: 'main' } });
    await h.push(pullRequestPayload({ repo: h.repoName, number: PR, action: 'synchronize', headRef: 'feature', headSha: head2 }), { event: 'pull_request' });
    await expect.poll(() => diffStatus(head2)?.description, { timeout: 30_000 }).toBe('2 to create, 1 to change');
    await expect.poll(() => ourComments()[0]?.body.includes(head2.slice(0, 7)), { timeout: 10_000 }).toBe(true);
    expect(ourComments()).toHaveLength(1);

    // a reader may not deploy; the refusal says why
    expect((await comment('/deploy', 'reader')).status).toBe(202);
    await expect.poll(() => h.github.comments(h.repoName, PR).some((c) => c.body.includes('needs write permission; @reader has read')), { timeout: 10_000 }).toBe(true);
    // a comment that merely mentions a command is ignored
    expect(await comment('please run /deploy later', 'maintainer')).toEqual({ status: 200, body: { result: 'ignored', reason: 'not a command' } });

    // a maintainer locks the target: a push to main is recorded but waits
    expect((await comment('/lock', 'maintainer')).status).toBe(202);
    await expect.poll(() => ourComments()[0]?.body.includes('locked'), { timeout: 10_000 }).toBe(true);
    const reactions = h.github.find('POST', /\/reactions$/);
    expect(reactions.length).toBeGreaterThanOrEqual(2);
    await h.repo.checkout('main');
    const hotfix = await h.commitAndPush('hotfix on main', { 'deploy/hotfix.yaml': cm('hotfix', '1') });
    await expect.poll(() => h.statuses(hotfix.sha)[0]?.description, { timeout: 30_000 }).toBe(`locked by #${PR} (@maintainer)`);
    expect(await live('hotfix')).toBeUndefined();
    const api = await h.api<{ targets: { target: string; lock?: { pr: number; user: string }; pending: string[] }[] }>('/api/targets');
    expect(api.targets.find((t) => t.target === namespace)).toMatchObject({ lock: { pr: PR, user: 'maintainer' }, pending: [hotfix.sha] });

    // merged: the lock goes, the waiting revision and then the merge deploy, and the PR comment says so
    await h.repo.git(['merge', '--no-ff', '-m', 'Merge pull request #7', 'feature']);
    const merge = await h.repo.head();
    await h.push(pullRequestPayload({ repo: h.repoName, number: PR, action: 'closed', headRef: 'feature', headSha: head2, merged: true, mergeCommitSha: merge }), { event: 'pull_request' });
    // branch truth: main's head is the merge by now, so it deploys (hotfix included) and the hotfix is superseded
    await expect.poll(async () => (await live('hotfix'))?.data, { timeout: 30_000 }).toEqual({ value: '1' });
    const { pushPayload } = await import('../helpers/driftless.js');
    await h.push(pushPayload({ repo: h.repoName, cloneUrl: 'x', before: hotfix.sha, after: merge, paths: ['deploy/a.yaml', 'deploy/b.yaml', 'deploy/c.yaml'] }));
    await expect.poll(() => h.statuses(merge).find((s) => s.state === 'success')?.description, { timeout: 30_000 }).toBe('deployed: 3 created, 1 configured');
    expect(h.statuses(hotfix.sha)[0]).toMatchObject({ state: 'success', description: `superseded by ${merge.slice(0, 7)}` });
    await expect.poll(() => ourComments()[0]?.body, { timeout: 10_000 }).toContain(`Deployed \`${merge.slice(0, 7)}\``);
    expect((await live('a'))?.data).toEqual({ value: '2' });

    // the deployment shows where the change runs
    const deployments = h.github.deployments(h.repoName).filter((d) => d.environment === namespace);
    expect(deployments.map((d) => d.sha)).toContain(merge);
  });
});

describe('comment commands that deploy (a target with branchDeploys)', () => {
  let h: DriftlessHarness;
  let namespace: string;
  const PR = 9;
  beforeAll(async () => {
    namespace = uniqueName('cmd');
    await createNamespace(client, namespace);
    h = await DriftlessHarness.start({ namespace, targetYaml: '    branchDeploys: true' });
    h.github.setPermission(h.repoName, 'maintainer', 'maintain');
  });
  afterAll(() => h?.close());

  const live = async () => (await getObject(client, (await discovery.resourceFor('v1', 'ConfigMap'))!, namespace, 'a'))?.data;
  const comment = (body: string) => {
    const { id } = h.github.addComment(h.repoName, PR, body, 'maintainer');
    return h.push(issueCommentPayload({ repo: h.repoName, number: PR, body, user: 'maintainer', commentId: id }), { event: 'issue_comment' });
  };
  const prComment = () => h.github.comments(h.repoName, PR).find((c) => c.body.includes(commentMarker))?.body ?? '';

  it('/deploy deploys the head, /rollback goes back, /diff previews, /sync deploys the branch head', async () => {
    const base = await h.commitAndPush('base', { 'deploy/a.yaml': cm('a', '1') });
    await expect.poll(() => h.statuses(base.sha).find((s) => s.state === 'success'), { timeout: 30_000 }).toBeTruthy();
    await h.repo.branch('try');
    await h.repo.checkout('try');
    const head = await h.repo.commit('try 2', { 'deploy/a.yaml': cm('a', '2') });
    h.github.setPull(h.repoName, { number: PR, user: 'maintainer', head: { ref: 'try', sha: head }, base: { ref: 'main' } });

    expect((await comment('/deploy')).status).toBe(202);
    await expect.poll(live, { timeout: 30_000 }).toEqual({ value: '2' });
    await expect.poll(prComment, { timeout: 10_000 }).toContain(`Deployed \`${head.slice(0, 7)}\``);
    expect(prComment()).toContain('is deploying');

    expect((await comment('/rollback')).status).toBe(202);
    await expect.poll(live, { timeout: 30_000 }).toEqual({ value: '1' });
    await expect.poll(prComment, { timeout: 10_000 }).toContain('is rolling back to');

    expect((await comment('/diff')).status).toBe(202);
    await expect.poll(() => h.statuses(head).find((s) => s.context === `driftless/${namespace}/diff` && s.state === 'success')?.description, { timeout: 30_000 }).toBe('1 to change');

    // main moves on without a webhook; /sync deploys its head
    await h.repo.checkout('main');
    const later = await h.repo.commit('main 3', { 'deploy/a.yaml': cm('a', '3') });
    expect((await comment('/sync')).status).toBe(202);
    await expect.poll(live, { timeout: 30_000 }).toEqual({ value: '3' });
    await expect.poll(() => h.statuses(later).find((s) => s.state === 'success')?.description, { timeout: 10_000 }).toMatch(/^deployed/);
  });
});
