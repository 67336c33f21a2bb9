import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitHubProvider } from '../../src/providers/github/client.js';
import { ProviderError } from '../../src/providers/types.js';
import { GitHubStandIn, type RepoRole } from '../helpers/github-standin.js';
import { rejection } from '../helpers/rejection.js';

const TOKEN = 'ghp_standin_token';
const REPO = 'acme/shop';
const LOGIN = 'driftless-ci';
const MARKER = '<!-- driftless:plan -->';
const sha = (c: string): string => c.repeat(40);
/** No write spacing and no in-call retries: each injected failure reaches the caller. */
const limits = { writeIntervalMs: 1, retries: 0 };

describe('GitHubProvider with the real Octokit against the stand-in', () => {
  let standin: GitHubStandIn;
  let github: GitHubProvider;

  beforeAll(async () => {
    standin = await GitHubStandIn.start({ token: TOKEN, login: LOGIN });
    github = new GitHubProvider({ apiUrl: `${standin.url}/`, token: TOKEN, limits });
  });

  afterAll(async () => {
    await standin.close();
  });

  it('names the host’s limits', () => {
    expect(github.commentLimit).toBe(65536);
    expect(github.pullRequestPrefix).toBe('#');
  });

  it('creates the pull request comment, then edits it in place', async () => {
    standin.setPull(REPO, { number: 7, head: { ref: 'scale-web', sha: sha('c') }, base: { ref: 'main' } });
    // a user quoting the marker must not have their comment taken over
    const quoted = standin.addComment(REPO, 7, `what does ${MARKER} mean?`, 'alice');

    await github.upsertPullRequestComment(REPO, 7, MARKER, '### shop-prod\n2 objects to change');
    await github.upsertPullRequestComment(REPO, 7, MARKER, '### shop-prod\ndeployed');
    // the same text again changes nothing
    await github.upsertPullRequestComment(REPO, 7, MARKER, '### shop-prod\ndeployed');

    const comments = standin.comments(REPO, 7);
    expect(comments.map((c) => [c.user.login, c.body])).toEqual([
      ['alice', `what does ${MARKER} mean?`],
      [LOGIN, `${MARKER}\n### shop-prod\ndeployed`],
    ]);
    expect(comments[0]?.id).toBe(quoted.id);
    expect(standin.find('POST', /\/issues\/7\/comments$/)).toHaveLength(1);
    expect(standin.find('PATCH', /\/issues\/comments\/\d+$/).map((r) => r.path)).toEqual([`/repos/${REPO}/issues/comments/${comments[1]?.id}`]);
    // the token's login is looked up once
    expect(standin.find('GET', /^\/user$/)).toHaveLength(1);
    expect(standin.find('GET', /\/issues\/7\/comments$/)[0]?.query).toMatchObject({ per_page: '100' });
  });

  it('keeps a body that already holds the marker as it is', async () => {
    standin.setPull(REPO, { number: 9, head: { ref: 'f', sha: sha('9') }, base: { ref: 'main' } });
    await github.upsertPullRequestComment(REPO, 9, MARKER, `## Plan\n${MARKER}\nbody`);
    expect(standin.comments(REPO, 9).map((c) => c.body)).toEqual([`## Plan\n${MARKER}\nbody`]);
  });

  it('finds its comment past the first page of comments', async () => {
    standin.setPull(REPO, { number: 8, head: { ref: 'busy', sha: sha('d') }, base: { ref: 'main' } });
    for (let i = 0; i < 120; i++) standin.addComment(REPO, 8, `comment ${i}`, 'bob');
    await github.upsertPullRequestComment(REPO, 8, MARKER, 'first');
    for (let i = 0; i < 5; i++) standin.addComment(REPO, 8, `later ${i}`, 'bob');
    await github.upsertPullRequestComment(REPO, 8, MARKER, 'second');
    const ours = standin.comments(REPO, 8).filter((c) => c.body.includes(MARKER));
    expect(ours.map((c) => c.body)).toEqual([`${MARKER}\nsecond`]);
    expect(standin.find('GET', /\/issues\/8\/comments$/).map((r) => r.query.page ?? '1')).toEqual(['1', '2', '1', '2']);
  });

  it('replies with a new comment', async () => {
    await github.replyToPullRequest(REPO, 7, 'Deploying shop-prod at cccccc…');
    expect(standin.comments(REPO, 7).at(-1)).toMatchObject({ body: 'Deploying shop-prod at cccccc…', user: { login: LOGIN } });
    expect(standin.comments(REPO, 7)).toHaveLength(3);
  });

  it('acknowledges a command with 👀, once', async () => {
    const command = standin.addComment(REPO, 7, '/deploy shop-prod', 'alice');
    await github.acknowledgeComment(REPO, 7, command.id);
    await github.acknowledgeComment(REPO, 7, command.id);
    expect(standin.reactions(REPO, command.id).map((r) => [r.content, r.user.login])).toEqual([['eyes', LOGIN]]);
    expect(standin.find('POST', new RegExp(`/issues/comments/${command.id}/reactions$`)).map((r) => [r.body, r.status])).toEqual([
      [{ content: 'eyes' }, 201],
      [{ content: 'eyes' }, 200],
    ]);
  });

  it('fails to acknowledge an unknown comment with a permanent 404', async () => {
    const error = await rejection(github.acknowledgeComment(REPO, 7, 424242));
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ status: 404, permanent: true });
  });

  it.each<{ role: RepoRole; expected: string }>([
    { role: 'admin', expected: 'admin' },
    { role: 'maintain', expected: 'maintain' },
    { role: 'write', expected: 'write' },
    { role: 'triage', expected: 'triage' },
    { role: 'read', expected: 'read' },
    { role: 'none', expected: 'none' },
  ])('reads the role $role as $expected', async ({ role, expected }) => {
    standin.setPermission(REPO, `user-${role}`, role);
    await expect(github.permission(REPO, `user-${role}`)).resolves.toBe(expected);
  });

  it('reads a custom role as the strongest built-in role it includes', async () => {
    standin.setPermission(REPO, 'release-manager', 'maintain', 'release-manager');
    standin.setPermission(REPO, 'security-reviewer', 'triage', 'security-reviewer');
    await expect(github.permission(REPO, 'release-manager')).resolves.toBe('maintain');
    await expect(github.permission(REPO, 'security-reviewer')).resolves.toBe('triage');
  });

  it('answers none for a user GitHub does not know (404), and fails on a 500', async () => {
    await expect(github.permission(REPO, 'nobody')).resolves.toBe('none');
    expect(standin.find('GET', /\/collaborators\/nobody\/permission$/).map((r) => r.status)).toEqual([404]);
    standin.failNext('GET', /\/collaborators\/alice\/permission$/, 500);
    const error = await rejection(github.permission(REPO, 'alice'));
    expect(error).toMatchObject({ status: 500, permanent: false });
    expect((error as Error).message).toMatch(/^github: permission of alice on acme\/shop/);
  });

  it('reads a pull request as it is now', async () => {
    standin.setPull(REPO, { number: 20, user: 'alice', head: { ref: 'feature', sha: sha('1') }, base: { ref: 'main' } });
    await expect(github.pullRequest(REPO, 20)).resolves.toEqual({
      number: 20,
      state: 'open',
      head: { sha: sha('1'), ref: 'feature' },
      base: { ref: 'main' },
      fork: false,
      author: 'alice',
    });
  });

  it.each([
    { name: 'merged', input: { state: 'closed' as const, merged: true, merge_commit_sha: sha('f') }, expected: { state: 'merged', fork: false } },
    { name: 'closed', input: { state: 'closed' as const, merged: false }, expected: { state: 'closed', fork: false } },
    { name: 'from a fork', input: { head: { ref: 'feature', sha: sha('2'), repo: 'mallory/shop' } }, expected: { state: 'open', fork: true } },
  ])('reads a pull request $name', async ({ input, expected }) => {
    standin.setPull(REPO, { number: 21, user: 'mallory', head: { ref: 'feature', sha: sha('2') }, base: { ref: 'main' }, ...input });
    await expect(github.pullRequest(REPO, 21)).resolves.toMatchObject({ number: 21, head: { sha: sha('2'), ref: 'feature' }, author: 'mallory', ...expected });
  });

  it('fails on an unknown pull request with a permanent 404', async () => {
    const error = await rejection(github.pullRequest(REPO, 404));
    expect(error).toMatchObject({ provider: 'github', status: 404, permanent: true });
  });

  it('records a deployment queued → in_progress → success, idempotently', async () => {
    const commit = sha('a');
    const record = (state: 'queued' | 'in_progress' | 'success' | 'failure', description?: string) =>
      github.recordDeployment(REPO, { environment: 'shop-prod', sha: commit, ref: 'refs/heads/main', state, description });
    await record('queued', 'queued');
    await record('in_progress', 'applying');
    // a retried report job
    await record('in_progress', 'applying');
    await record('success', 'deployed 3 objects');
    await record('success', 'deployed 3 objects');

    const deployments = standin.deployments(REPO).filter((d) => d.environment === 'shop-prod');
    expect(deployments).toHaveLength(1);
    const [first] = deployments;
    expect(first).toMatchObject({ sha: commit, ref: commit, environment: 'shop-prod', transient_environment: false, production_environment: false, creator: { login: LOGIN } });
    expect(standin.deploymentStatuses(REPO, first!.id).map((s) => [s.state, s.description])).toEqual([
      ['success', 'deployed 3 objects'],
      ['in_progress', 'applying'],
      ['queued', 'queued'],
    ]);
    expect(standin.find('POST', /\/deployments$/).map((r) => r.body)).toEqual([
      { ref: commit, environment: 'shop-prod', auto_merge: false, required_contexts: [], transient_environment: false, payload: { ref: 'refs/heads/main' }, description: 'queued' },
    ]);
    expect(standin.find('POST', /\/deployments\/\d+\/statuses$/).map((r) => r.body)).toEqual([
      { state: 'queued', auto_inactive: true, description: 'queued' },
      { state: 'in_progress', auto_inactive: true, description: 'applying' },
      { state: 'success', auto_inactive: true, description: 'deployed 3 objects' },
    ]);
    expect(standin.find('GET', /\/deployments$/)[0]?.query).toMatchObject({ environment: 'shop-prod', sha: commit });

    // the next commit's success makes the first deployment inactive
    await github.recordDeployment(REPO, { environment: 'shop-prod', sha: sha('b'), ref: 'main', state: 'queued' });
    await github.recordDeployment(REPO, { environment: 'shop-prod', sha: sha('b'), ref: 'main', state: 'in_progress' });
    await github.recordDeployment(REPO, { environment: 'shop-prod', sha: sha('b'), ref: 'main', state: 'success' });
    const [second] = standin.deployments(REPO).filter((d) => d.environment === 'shop-prod');
    expect(second?.sha).toBe(sha('b'));
    expect(standin.deploymentStatuses(REPO, second!.id)[0]?.state).toBe('success');
    expect(standin.deploymentStatuses(REPO, first!.id)[0]?.state).toBe('inactive');

    // a late retry of the first commit's success neither revives nor duplicates it
    await record('success', 'deployed 3 objects');
    expect(standin.deployments(REPO).filter((d) => d.environment === 'shop-prod')).toHaveLength(2);
    expect(standin.deploymentStatuses(REPO, first!.id)[0]?.state).toBe('inactive');

    // deploying the first commit again (a rollback) is a new deployment
    await record('queued');
    await record('in_progress');
    await record('failure', 'health check failed');
    const all = standin.deployments(REPO).filter((d) => d.environment === 'shop-prod');
    expect(all.map((d) => d.sha)).toEqual([commit, sha('b'), commit]);
    expect(standin.deploymentStatuses(REPO, all[0]!.id).map((s) => s.state)).toEqual(['failure', 'in_progress', 'queued']);
    expect(standin.deploymentStatuses(REPO, second!.id)[0]?.state).toBe('success');
  });

  it('does not move a deployment someone else created for the same commit', async () => {
    const commit = sha('e');
    standin.setRef(REPO, 'main', commit);
    const other = new GitHubProvider({ apiUrl: standin.url, token: TOKEN, login: 'someone-else', limits });
    // the stand-in attributes every deployment to its login: pretend ours are another user's
    await other.recordDeployment(REPO, { environment: 'shop-staging', sha: commit, ref: 'main', state: 'in_progress' });
    await other.recordDeployment(REPO, { environment: 'shop-staging', sha: commit, ref: 'main', state: 'in_progress' });
    expect(standin.deployments(REPO).filter((d) => d.environment === 'shop-staging')).toHaveLength(2);
  });

  it('cuts descriptions to the 140 characters GitHub accepts', async () => {
    await github.recordDeployment(REPO, { environment: 'shop-dev', sha: sha('5'), ref: 'main', state: 'failure', description: 'x'.repeat(300) });
    const [deployment] = standin.deployments(REPO).filter((d) => d.environment === 'shop-dev');
    expect(standin.deploymentStatuses(REPO, deployment!.id)[0]?.description).toHaveLength(140);
  });

  it('surfaces failures as ProviderError with the status, never the token', async () => {
    standin.failNext('POST', /\/deployments\/\d+\/statuses$/, 502);
    const error = await rejection(github.recordDeployment(REPO, { environment: 'shop-qa', sha: sha('6'), ref: 'main', state: 'in_progress' }));
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ status: 502, permanent: false });
    expect((error as Error).message).toContain('deployment of acme/shop@6666666 to shop-qa');
    // the retry finds the deployment the failed attempt created
    await github.recordDeployment(REPO, { environment: 'shop-qa', sha: sha('6'), ref: 'main', state: 'in_progress' });
    const deployments = standin.deployments(REPO).filter((d) => d.environment === 'shop-qa');
    expect(deployments).toHaveLength(1);
    expect(standin.deploymentStatuses(REPO, deployments[0]!.id).map((s) => s.state)).toEqual(['in_progress']);

    standin.failNext('GET', /\/issues\/7\/comments$/, 500);
    const comment = await rejection(github.upsertPullRequestComment(REPO, 7, MARKER, 'x'));
    expect(comment).toMatchObject({ status: 500 });
    expect((comment as Error).message).toMatch(/^github: comment on acme\/shop#7/);

    const wrong = new GitHubProvider({ apiUrl: standin.url, token: 'wrong', limits });
    const unauthorized = await rejection(wrong.replyToPullRequest(REPO, 7, 'hi'));
    expect(unauthorized).toMatchObject({ status: 401, permanent: true });
    expect((unauthorized as Error).message).not.toContain(TOKEN);
  });

  it('retries the login lookup after it failed', async () => {
    const fresh = new GitHubProvider({ apiUrl: standin.url, token: TOKEN, limits });
    standin.setPull(REPO, { number: 30, head: { ref: 'x', sha: sha('3') }, base: { ref: 'main' } });
    standin.failNext('GET', /^\/user$/, 500);
    expect(await rejection(fresh.upsertPullRequestComment(REPO, 30, MARKER, 'one'))).toMatchObject({ status: 500 });
    await fresh.upsertPullRequestComment(REPO, 30, MARKER, 'two');
    await fresh.upsertPullRequestComment(REPO, 30, MARKER, 'three');
    expect(standin.comments(REPO, 30).map((c) => c.body)).toEqual([`${MARKER}\nthree`]);
  });
});

describe('GitHubProvider with a GitHub App installation token', () => {
  let standin: GitHubStandIn;

  beforeAll(async () => {
    standin = await GitHubStandIn.start({ token: TOKEN, login: 'driftless[bot]', installationToken: true });
  });

  afterAll(async () => {
    await standin.close();
  });

  it('edits the bot’s comment when /user is refused, leaving people’s quotes alone', async () => {
    const github = new GitHubProvider({ apiUrl: standin.url, token: TOKEN, limits });
    standin.setPull(REPO, { number: 3, head: { ref: 'f', sha: sha('3') }, base: { ref: 'main' } });
    standin.addComment(REPO, 3, `> ${MARKER}\nwhy is this here?`, 'alice');
    await github.upsertPullRequestComment(REPO, 3, MARKER, 'plan');
    await github.upsertPullRequestComment(REPO, 3, MARKER, 'deployed');
    expect(standin.comments(REPO, 3).map((c) => [c.user.login, c.body])).toEqual([
      ['alice', `> ${MARKER}\nwhy is this here?`],
      ['driftless[bot]', `${MARKER}\ndeployed`],
    ]);
    // refused once, not asked again
    expect(standin.find('GET', /^\/user$/).map((r) => r.status)).toEqual([403]);
  });

  it('uses a configured bot login without asking /user', async () => {
    const github = new GitHubProvider({ apiUrl: standin.url, token: TOKEN, login: 'driftless[bot]', limits });
    standin.clearRequests();
    standin.setPull(REPO, { number: 4, head: { ref: 'f', sha: sha('4') }, base: { ref: 'main' } });
    await github.upsertPullRequestComment(REPO, 4, MARKER, 'plan');
    await github.upsertPullRequestComment(REPO, 4, MARKER, 'deployed');
    expect(standin.comments(REPO, 4).map((c) => c.body)).toEqual([`${MARKER}\ndeployed`]);
    expect(standin.find('GET', /^\/user$/)).toHaveLength(0);
  });

  it('a rate-limited status post (403, "API rate limit exceeded") is retryable; a refused one is not', async () => {
    const github = new GitHubProvider({ apiUrl: standin.url, token: TOKEN, limits });
    const status = { sha: sha('8'), context: 'driftless/shop', state: 'success' as const, description: 'deployed' };
    standin.failNext('POST', /\/statuses\//, 403, 1, { message: 'API rate limit exceeded for installation ID 1.', documentation_url: 'https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting' });
    const limited = await github.setStatus(REPO, status).then(() => undefined, (err: unknown) => err);
    expect(limited).toBeInstanceOf(ProviderError);
    expect(limited).toMatchObject({ status: 403, permanent: false });
    standin.failNext('POST', /\/statuses\//, 403, 1, { message: 'Resource not accessible by integration' });
    const refused = await github.setStatus(REPO, status).then(() => undefined, (err: unknown) => err);
    expect(refused).toMatchObject({ status: 403, permanent: true });
  });

  it('records deployments the bot created', async () => {
    const github = new GitHubProvider({ apiUrl: standin.url, token: TOKEN, limits });
    await github.recordDeployment(REPO, { environment: 'shop-prod', sha: sha('7'), ref: 'main', state: 'in_progress' });
    await github.recordDeployment(REPO, { environment: 'shop-prod', sha: sha('7'), ref: 'main', state: 'success' });
    const deployments = standin.deployments(REPO);
    expect(deployments).toHaveLength(1);
    expect(standin.deploymentStatuses(REPO, deployments[0]!.id).map((s) => s.state)).toEqual(['success', 'in_progress']);
  });
});
