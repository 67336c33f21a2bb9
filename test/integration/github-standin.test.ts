import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitHubStandIn } from '../helpers/github-standin.js';

const SHA = 'a'.repeat(40);
const OTHER_SHA = 'b'.repeat(40);
const owner = 'acme';
const repo = 'shop';
/** Octokit logs every failed request to console.error; the failures here are on purpose. */
const log = { debug: () => undefined, info: () => undefined, warn: console.warn, error: () => undefined };

/** The HTTP status of a rejected Octokit call. */
async function statusOf(promise: Promise<unknown>): Promise<number> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'expected the request to fail').toBeDefined();
  return (error as { status: number }).status;
}

describe('GitHubStandIn with the real Octokit', () => {
  let standin: GitHubStandIn;
  let octokit: Octokit;

  beforeAll(async () => {
    standin = await GitHubStandIn.start({ token: 'tok' });
    octokit = new Octokit({ baseUrl: standin.url, auth: 'tok', log });
  });

  afterAll(async () => {
    await standin.close();
    await standin.close();
  });

  it('creates and lists commit statuses, with a combined status', async () => {
    const created = await octokit.repos.createCommitStatus({
      owner,
      repo,
      sha: SHA,
      state: 'pending',
      context: 'driftless/production',
      description: 'Deploying',
      target_url: 'https://driftless.example/runs/1',
    });
    expect(created.status).toBe(201);
    expect(created.data).toMatchObject({
      state: 'pending',
      context: 'driftless/production',
      description: 'Deploying',
      target_url: 'https://driftless.example/runs/1',
      creator: { login: 'driftless[bot]', type: 'Bot' },
      url: `${standin.url}/repos/acme/shop/statuses/${SHA}`,
    });
    expect(created.data.id).toBeGreaterThan(0);
    expect(created.data.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    await octokit.repos.createCommitStatus({ owner, repo, sha: SHA, state: 'success', context: 'driftless/production' });
    await octokit.repos.createCommitStatus({ owner, repo, sha: SHA, state: 'success', context: 'ci/tests' });

    const list = await octokit.repos.listCommitStatusesForRef({ owner, repo, ref: SHA });
    expect(list.data.map((s) => [s.context, s.state])).toEqual([
      ['ci/tests', 'success'],
      ['driftless/production', 'success'],
      ['driftless/production', 'pending'],
    ]);
    const combined = await octokit.repos.getCombinedStatusForRef({ owner, repo, ref: SHA });
    expect(combined.data.state).toBe('success');
    expect(combined.data.total_count).toBe(2);
    expect(combined.data.repository.full_name).toBe('acme/shop');

    standin.setRef('acme/shop', 'main', SHA);
    const byBranch = await octokit.repos.getCombinedStatusForRef({ owner, repo, ref: 'main' });
    expect(byBranch.data.sha).toBe(SHA);

    expect(standin.statuses('acme/shop', SHA)).toHaveLength(3);
    const recorded = standin.find('POST', /\/statuses\//);
    expect(recorded).toHaveLength(3);
    expect(recorded[0]?.body).toMatchObject({ state: 'pending', context: 'driftless/production' });
    expect(recorded[0]?.headers.authorization).toBe('token tok');
  });

  it('validates statuses like GitHub', async () => {
    expect(
      await statusOf(
        octokit.repos.createCommitStatus({ owner, repo, sha: OTHER_SHA, state: 'success', description: 'x'.repeat(141) }),
      ),
    ).toBe(422);
    expect(await statusOf(octokit.repos.createCommitStatus({ owner, repo, sha: 'main', state: 'success' }))).toBe(422);
  });

  it('creates, updates, reads and pages issue comments', async () => {
    standin.addComment('acme/shop', 7, '/deploy production', 'alice');
    const created = await octokit.issues.createComment({ owner, repo, issue_number: 7, body: 'Deploying…' });
    expect(created.status).toBe(201);
    expect(created.data.user?.login).toBe('driftless[bot]');
    expect(created.data.html_url).toBe(`${standin.url}/acme/shop/pull/7#issuecomment-${created.data.id}`);

    const updated = await octokit.issues.updateComment({ owner, repo, comment_id: created.data.id, body: 'Deployed' });
    expect(updated.data.body).toBe('Deployed');
    const read = await octokit.issues.getComment({ owner, repo, comment_id: created.data.id });
    expect(read.data.body).toBe('Deployed');

    for (let i = 0; i < 3; i += 1) await octokit.issues.createComment({ owner, repo, issue_number: 7, body: `n${i}` });
    const firstPage = await octokit.issues.listComments({ owner, repo, issue_number: 7, per_page: 2 });
    expect(firstPage.data.map((c) => c.body)).toEqual(['/deploy production', 'Deployed']);
    expect(firstPage.headers.link).toContain('rel="next"');
    const all = await octokit.paginate(octokit.issues.listComments, { owner, repo, issue_number: 7, per_page: 2 });
    expect(all.map((c) => c.body)).toEqual(['/deploy production', 'Deployed', 'n0', 'n1', 'n2']);
    expect(standin.find('GET', /\/issues\/7\/comments$/).map((r) => r.query.page ?? '1')).toEqual(['1', '1', '2', '3']);

    expect(await statusOf(octokit.issues.updateComment({ owner, repo, comment_id: 999, body: 'x' }))).toBe(404);
  });

  it('adds reactions to comments', async () => {
    const [command] = standin.comments('acme/shop', 7);
    const reaction = await octokit.reactions.createForIssueComment({
      owner,
      repo,
      comment_id: command?.id ?? 0,
      content: 'eyes',
    });
    expect(reaction.status).toBe(201);
    expect(reaction.data).toMatchObject({ content: 'eyes', user: { login: 'driftless[bot]' } });
    const again = await octokit.reactions.createForIssueComment({ owner, repo, comment_id: command?.id ?? 0, content: 'eyes' });
    expect(again.status).toBe(200);
    const comment = await octokit.issues.getComment({ owner, repo, comment_id: command?.id ?? 0 });
    expect(comment.data.reactions?.eyes).toBe(1);
  });

  it('reads collaborator permissions, mapping fine roles like GitHub', async () => {
    standin.setPermission('acme/shop', 'alice', 'maintain');
    standin.setPermission('acme/shop', 'bob', 'triage');
    const alice = await octokit.repos.getCollaboratorPermissionLevel({ owner, repo, username: 'alice' });
    expect(alice.data).toMatchObject({ permission: 'write', role_name: 'maintain', user: { login: 'alice' } });
    const bob = await octokit.repos.getCollaboratorPermissionLevel({ owner, repo, username: 'Bob' });
    expect(bob.data).toMatchObject({ permission: 'read', role_name: 'triage' });
    expect(await statusOf(octokit.repos.getCollaboratorPermissionLevel({ owner, repo, username: 'mallory' }))).toBe(404);
  });

  it('serves pull requests and their files', async () => {
    standin.setPull('acme/shop', {
      number: 7,
      user: 'alice',
      head: { ref: 'feature', sha: OTHER_SHA, repo: 'alice/shop' },
      base: { ref: 'main', sha: SHA },
      files: ['deploy/web.yaml', { filename: 'README.md', status: 'removed', deletions: 3 }],
    });
    const pull = await octokit.pulls.get({ owner, repo, pull_number: 7 });
    expect(pull.data).toMatchObject({
      number: 7,
      state: 'open',
      merged: false,
      user: { login: 'alice' },
      head: { ref: 'feature', sha: OTHER_SHA, repo: { full_name: 'alice/shop', fork: true } },
      base: { ref: 'main', sha: SHA, repo: { full_name: 'acme/shop', fork: false } },
    });
    const files = await octokit.pulls.listFiles({ owner, repo, pull_number: 7 });
    expect(files.data.map((f) => [f.filename, f.status])).toEqual([
      ['deploy/web.yaml', 'modified'],
      ['README.md', 'removed'],
    ]);
    expect(await statusOf(octokit.pulls.get({ owner, repo, pull_number: 8 }))).toBe(404);
  });

  it('creates deployments and deployment statuses', async () => {
    const created = await octokit.repos.createDeployment({
      owner,
      repo,
      ref: 'main',
      environment: 'staging',
      required_contexts: [],
      auto_merge: false,
      payload: { target: 'staging' },
    });
    expect(created.status).toBe(201);
    if (!('id' in created.data)) throw new Error('expected a deployment');
    const deployment = created.data;
    expect(deployment).toMatchObject({ sha: SHA, ref: 'main', environment: 'staging', production_environment: false });

    const status = await octokit.repos.createDeploymentStatus({
      owner,
      repo,
      deployment_id: deployment.id,
      state: 'success',
      log_url: 'https://driftless.example/runs/2',
      environment_url: 'https://staging.shop.example',
    });
    expect(status.status).toBe(201);
    expect(status.data).toMatchObject({ state: 'success', environment: 'staging', deployment_url: deployment.url });

    const statuses = await octokit.repos.listDeploymentStatuses({ owner, repo, deployment_id: deployment.id });
    expect(statuses.data.map((s) => s.state)).toEqual(['success']);
    const listed = await octokit.repos.listDeployments({ owner, repo, environment: 'staging' });
    expect(listed.data.map((d) => d.id)).toEqual([deployment.id]);
    expect((await octokit.repos.listDeployments({ owner, repo, environment: 'production' })).data).toEqual([]);

    // a second successful deployment makes the first one inactive
    const second = await octokit.repos.createDeployment({ owner, repo, ref: SHA, environment: 'staging', required_contexts: [] });
    if (!('id' in second.data)) throw new Error('expected a deployment');
    await octokit.repos.createDeploymentStatus({ owner, repo, deployment_id: second.data.id, state: 'success' });
    expect(standin.deploymentStatuses('acme/shop', deployment.id).map((s) => s.state)).toEqual(['inactive', 'success']);
  });

  it('refuses a deployment whose commit statuses are not green unless required_contexts is given', async () => {
    await octokit.repos.createCommitStatus({ owner, repo, sha: OTHER_SHA, state: 'pending', context: 'driftless/production' });
    expect(await statusOf(octokit.repos.createDeployment({ owner, repo, ref: OTHER_SHA }))).toBe(409);
    const ok = await octokit.repos.createDeployment({ owner, repo, ref: OTHER_SHA, required_contexts: [] });
    expect(ok.status).toBe(201);
    expect(await statusOf(octokit.repos.createDeployment({ owner, repo, ref: 'unknown-branch' }))).toBe(422);
  });

  it('answers injected failures, then recovers', async () => {
    standin.failNext('POST', /\/statuses\//, 502, 2);
    const call = () => octokit.repos.createCommitStatus({ owner, repo, sha: SHA, state: 'error', context: 'retry' });
    expect(await statusOf(call())).toBe(502);
    expect(await statusOf(call())).toBe(502);
    expect((await call()).status).toBe(201);
    expect(standin.find('POST', /\/statuses\//).slice(-3).map((r) => r.status)).toEqual([502, 502, 201]);
  });

  it('answers 404 for unknown endpoints and 401 for a wrong token', async () => {
    const unknown = await fetch(`${standin.url}/repos/acme/shop/hooks`, { headers: { authorization: 'token tok' } });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ message: 'Not Found', documentation_url: expect.any(String) as string });

    const wrong = new Octokit({ baseUrl: standin.url, auth: 'nope', log });
    expect(await statusOf(wrong.repos.getCombinedStatusForRef({ owner, repo, ref: SHA }))).toBe(401);
    const anonymous = await fetch(`${standin.url}/repos/acme/shop/commits/${SHA}/status`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ message: 'Bad credentials' });

    const bearer = await fetch(`${standin.url}/repos/acme/shop/commits/${SHA}/status`, {
      headers: { authorization: 'Bearer tok' },
    });
    expect(bearer.status).toBe(200);
  });
});
