import { Gitlab } from '@gitbeaker/rest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitLabApiError } from '../../src/providers/gitlab/api-error.js';
import { GitLabProvider } from '../../src/providers/gitlab/client.js';
import type { StatusState } from '../../src/queue/jobs.js';
import { fetchRevision } from '../../src/sync/fetch.js';
import { GitHttpServer, TestRepo } from '../helpers/git.js';
import { GitLabStandIn } from '../helpers/gitlab-standin.js';
import { rejection } from '../helpers/rejection.js';

const TOKEN = 'glpat-standin-token';
const PROJECT = 'acme/platform/shop';
const ENCODED = encodeURIComponent(PROJECT);
const sha = (c: string): string => c.repeat(40);
const MARKER = '<!-- driftless:plan -->';

describe('GitLabProvider with the real gitbeaker against the stand-in', () => {
  let standin: GitLabStandIn;
  let gitlab: GitLabProvider;

  beforeAll(async () => {
    standin = await GitLabStandIn.start({ token: TOKEN });
    standin.addProject(PROJECT, { id: 4242 });
    gitlab = new GitLabProvider({ url: `${standin.url}/`, token: TOKEN });
  });

  afterAll(async () => {
    await standin.close();
    await standin.close();
  });

  it('walks a commit status through its lifecycle under one name', async () => {
    const commit = sha('a');
    const post = (state: StatusState, description: string) =>
      gitlab.setStatus(PROJECT, { sha: commit, context: 'driftless/shop-prod', state, description, targetUrl: 'https://driftless.example/runs/1' });
    await post('pending', 'queued');
    await post('running', 'applying');
    // GitLab answers 400 to running→running; the status is already reported, so no error
    await post('running', 'waiting for health');
    await post('success', 'deployed 3 objects');

    const requests = standin.find('POST', /\/statuses\//);
    expect(requests.map((r) => r.path)).toEqual(Array(4).fill(`/api/v4/projects/${ENCODED}/statuses/${commit}`));
    expect(requests.map((r) => (r.body as { state: string }).state)).toEqual(['pending', 'running', 'running', 'success']);
    expect(requests.map((r) => r.status)).toEqual([201, 201, 400, 201]);
    expect(requests[0]?.headers['private-token']).toBe(TOKEN);
    expect(requests[0]?.body).toEqual({
      state: 'pending',
      name: 'driftless/shop-prod',
      description: 'queued',
      target_url: 'https://driftless.example/runs/1',
    });

    const statuses = standin.statuses(PROJECT, commit);
    expect(statuses).toHaveLength(1);
    expect(statuses[0]).toMatchObject({ name: 'driftless/shop-prod', status: 'success', description: 'deployed 3 objects' });
  });

  it.each<{ state: StatusState; onGitLab: string; commit: string }>([
    { state: 'pending', onGitLab: 'pending', commit: sha('1') },
    { state: 'running', onGitLab: 'running', commit: sha('2') },
    { state: 'success', onGitLab: 'success', commit: sha('3') },
    { state: 'failure', onGitLab: 'failed', commit: sha('4') },
    { state: 'error', onGitLab: 'failed', commit: sha('5') },
    { state: 'superseded', onGitLab: 'canceled', commit: sha('6') },
  ])('reports $state as $onGitLab', async ({ state, onGitLab, commit }) => {
    await gitlab.setStatus(PROJECT, { sha: commit, context: 'driftless/shop-prod', state, description: `state ${state}` });
    expect(standin.statuses(PROJECT, commit)[0]).toMatchObject({ name: 'driftless/shop-prod', status: onGitLab, description: `state ${state}` });
  });

  it('marks a superseded commit canceled after it was queued', async () => {
    const commit = sha('7');
    await gitlab.setStatus(PROJECT, { sha: commit, context: 'driftless/shop-prod', state: 'pending', description: 'queued' });
    await gitlab.setStatus(PROJECT, { sha: commit, context: 'driftless/shop-prod', state: 'superseded', description: `superseded by ${sha('8').slice(0, 12)}` });
    const [latest, ...older] = standin.statuses(PROJECT, commit);
    expect(older).toHaveLength(0);
    expect(latest).toMatchObject({ status: 'canceled', description: 'superseded by 888888888888' });
  });

  it('cuts descriptions to the 255 characters GitLab accepts', async () => {
    const commit = sha('9');
    await gitlab.setStatus(PROJECT, { sha: commit, context: 'driftless/shop-prod', state: 'failure', description: 'x'.repeat(300) });
    expect(standin.statuses(PROJECT, commit)[0]?.description).toHaveLength(255);
  });

  it('addresses a project by its numeric id', async () => {
    const commit = sha('e');
    await gitlab.setStatus('4242', { sha: commit, context: 'driftless/shop-prod', state: 'success', description: 'ok' });
    expect(standin.find('POST', new RegExp(`^/api/v4/projects/4242/statuses/${commit}$`))).toHaveLength(1);
    expect(standin.statuses(PROJECT, commit)[0]?.status).toBe('success');
  });

  it('creates the merge request note, then edits it in place', async () => {
    standin.setMergeRequest(PROJECT, { iid: 7, sourceBranch: 'scale-web', targetBranch: 'main', sha: sha('c') });
    // a user quoting the marker must not have their note taken over
    const quoted = standin.addNote(PROJECT, 7, `what does ${MARKER} mean?`, 'alice');

    const first = await gitlab.upsertMergeRequestNote(PROJECT, 7, MARKER, '### shop-prod\n2 objects to change');
    expect(first.action).toBe('created');
    const second = await gitlab.upsertMergeRequestNote(PROJECT, 7, MARKER, '### shop-prod\ndeployed');
    expect(second).toEqual({ noteId: first.noteId, action: 'updated' });
    const third = await gitlab.upsertMergeRequestNote(PROJECT, 7, MARKER, '### shop-prod\ndeployed');
    expect(third).toEqual({ noteId: first.noteId, action: 'unchanged' });

    const notes = standin.notes(PROJECT, 7);
    expect(notes.map((n) => [n.id, n.author.username])).toEqual([
      [quoted.id, 'alice'],
      [first.noteId, 'driftless-bot'],
    ]);
    expect(notes[1]?.body).toBe(`${MARKER}\n### shop-prod\ndeployed`);
    expect(notes[0]?.body).toBe(`what does ${MARKER} mean?`);
    expect(standin.find('POST', /\/merge_requests\/7\/notes$/)).toHaveLength(1);
    expect(standin.find('PUT', new RegExp(`/merge_requests/7/notes/${first.noteId}$`))).toHaveLength(1);
  });

  it('finds its note among more than one page of notes', async () => {
    standin.setMergeRequest(PROJECT, { iid: 8, sourceBranch: 'busy', targetBranch: 'main', sha: sha('d') });
    const created = await gitlab.upsertMergeRequestNote(PROJECT, 8, MARKER, `${MARKER}\nfirst`);
    for (let i = 0; i < 120; i++) standin.addNote(PROJECT, 8, `comment ${i}`, 'bob');
    const again = await gitlab.upsertMergeRequestNote(PROJECT, 8, MARKER, `${MARKER}\nsecond`);
    expect(again).toEqual({ noteId: created.noteId, action: 'updated' });
    expect(standin.notes(PROJECT, 8).filter((n) => n.body.includes(MARKER))).toHaveLength(1);
  });

  it('records a deployment per environment, moving it from running to success', async () => {
    const commit = sha('f');
    const running = await gitlab.recordEnvironmentDeployment(PROJECT, { environment: 'shop-prod', sha: commit, ref: 'refs/heads/main', status: 'running' });
    expect(running.action).toBe('created');
    const success = await gitlab.recordEnvironmentDeployment(PROJECT, { environment: 'shop-prod', sha: commit, ref: 'main', status: 'success' });
    expect(success).toEqual({ deploymentId: running.deploymentId, action: 'updated' });
    // a retried report job
    const retried = await gitlab.recordEnvironmentDeployment(PROJECT, { environment: 'shop-prod', sha: commit, ref: 'main', status: 'success' });
    expect(retried).toEqual({ deploymentId: running.deploymentId, action: 'unchanged' });

    const [deployment] = standin.deployments(PROJECT);
    expect(deployment).toMatchObject({ id: running.deploymentId, sha: commit, ref: 'main', status: 'success', environment: { name: 'shop-prod' } });
    expect(deployment?.finished_at).not.toBeNull();
    expect(standin.environments(PROJECT).map((e) => [e.name, e.state, e.tier])).toEqual([['shop-prod', 'available', 'production']]);
    expect(standin.find('POST', /\/deployments$/)[0]?.body).toEqual({ environment: 'shop-prod', sha: commit, ref: 'main', tag: false, status: 'running' });

    // the next commit, and a redeploy of a commit already deployed, start new deployments
    const next = await gitlab.recordEnvironmentDeployment(PROJECT, { environment: 'shop-prod', sha: sha('b'), ref: 'main', status: 'failed' });
    const redeploy = await gitlab.recordEnvironmentDeployment(PROJECT, { environment: 'shop-prod', sha: commit, ref: 'main', status: 'running' });
    expect(next.action).toBe('created');
    expect(redeploy.action).toBe('created');
    expect(standin.deployments(PROJECT).map((d) => [d.sha, d.status])).toEqual([
      [commit, 'running'],
      [sha('b'), 'failed'],
      [commit, 'success'],
    ]);
  });

  it('surfaces a 500 as an error carrying the status', async () => {
    standin.failNext('POST', /\/statuses\//, 500);
    const error = await rejection(gitlab.setStatus(PROJECT, { sha: sha('a'), context: 'driftless/shop-prod', state: 'failure', description: 'boom' }));
    expect(error).toBeInstanceOf(GitLabApiError);
    expect((error as GitLabApiError).status).toBe(500);
    expect((error as GitLabApiError).message).toContain(`projects/${ENCODED}/statuses/${sha('a')}`);
    expect((error as GitLabApiError).message).not.toContain(TOKEN);

    standin.failNext('GET', /\/deployments$/, 500);
    const deploymentError = await rejection(gitlab.recordEnvironmentDeployment(PROJECT, { environment: 'shop-prod', sha: sha('a'), ref: 'main', status: 'running' }));
    expect((deploymentError as GitLabApiError).status).toBe(500);

    standin.failNext('GET', /\/notes$/, 500);
    const noteError = await rejection(gitlab.upsertMergeRequestNote(PROJECT, 7, MARKER, 'x'));
    expect((noteError as GitLabApiError).status).toBe(500);
    expect((noteError as GitLabApiError).message).toBe(`gitlab: API GET projects/${ENCODED}/merge_requests/7/notes answered 500: 500 Internal Server Error`);
  });

  it('rides out a 502 or 429, which gitbeaker itself retries', async () => {
    const commit = sha('0');
    standin.failNext('POST', new RegExp(`/statuses/${commit}$`), 502, 2);
    await gitlab.setStatus(PROJECT, { sha: commit, context: 'driftless/shop-prod', state: 'success', description: 'ok' });
    expect(standin.find('POST', new RegExp(`/statuses/${commit}$`)).map((r) => r.status)).toEqual([502, 502, 201]);
  });

  it('surfaces a wrong token as 401 and an unknown merge request as 404', async () => {
    const wrong = new GitLabProvider({ url: standin.url, token: 'wrong' });
    const error = await rejection(wrong.setStatus(PROJECT, { sha: sha('a'), context: 'driftless/x', state: 'pending', description: 'queued' }));
    expect((error as GitLabApiError).status).toBe(401);
    const missing = await rejection(gitlab.upsertMergeRequestNote(PROJECT, 404, MARKER, 'x'));
    expect((missing as GitLabApiError).status).toBe(404);
  });

  it('clones over HTTPS with oauth2 and the token; numeric ids are looked up', async () => {
    const selfManaged = new GitLabProvider({ url: 'https://git.example.com/gitlab/', token: 'secret' });
    await expect(selfManaged.cloneUrl(PROJECT)).resolves.toBe('https://git.example.com/gitlab/acme/platform/shop.git');
    expect(await selfManaged.gitCredentials()).toEqual({ username: 'oauth2', token: 'secret' });
    expect(await new GitLabProvider({ url: 'https://gitlab.com' }).gitCredentials()).toBeUndefined();
    await expect(gitlab.cloneUrl('4242')).resolves.toBe(`${standin.url}/${PROJECT}.git`);
    await expect(gitlab.cloneUrl(PROJECT)).resolves.toBe(`${standin.url}/${PROJECT}.git`);
  });
});

describe('GitLabProvider as a GitProvider: comments, commands and deployments', () => {
  let standin: GitLabStandIn;
  let gitlab: GitLabProvider;

  beforeAll(async () => {
    standin = await GitLabStandIn.start({ token: TOKEN });
    standin.addProject(PROJECT, { id: 4242 });
    standin.setMergeRequest(PROJECT, { iid: 11, sourceBranch: 'feature', targetBranch: 'main', sha: sha('1'), author: 'alice' });
    gitlab = new GitLabProvider({ url: standin.url, token: TOKEN });
  });

  afterAll(async () => {
    await standin.close();
  });

  it('names the host’s limits', () => {
    expect(gitlab.commentLimit).toBe(1_000_000);
    expect(gitlab.pullRequestPrefix).toBe('!');
  });

  it('upserts the merge request comment and replies with new notes', async () => {
    await gitlab.upsertPullRequestComment(PROJECT, 11, MARKER, 'plan');
    await gitlab.upsertPullRequestComment(PROJECT, 11, MARKER, 'deployed');
    await gitlab.replyToPullRequest(PROJECT, 11, 'Deploying shop-prod');
    expect(standin.notes(PROJECT, 11).map((n) => [n.author.username, n.body])).toEqual([
      ['driftless-bot', `${MARKER}\ndeployed`],
      ['driftless-bot', 'Deploying shop-prod'],
    ]);
    const missing = await rejection(gitlab.replyToPullRequest(PROJECT, 999, 'x'));
    expect(missing).toMatchObject({ status: 404, permanent: true });
  });

  it('acknowledges a command with the eyes award, once', async () => {
    const command = standin.addNote(PROJECT, 11, '/deploy shop-prod', 'alice');
    await gitlab.acknowledgeComment(PROJECT, 11, command.id);
    // GitLab answers a repeated award with 404: already acknowledged
    await gitlab.acknowledgeComment(PROJECT, 11, command.id);
    expect(standin.awardEmoji(PROJECT, command.id).map((a) => [a.name, a.user.username])).toEqual([['eyes', 'driftless-bot']]);
    expect(standin.find('POST', new RegExp(`/notes/${command.id}/award_emoji$`)).map((r) => [r.body, r.status])).toEqual([
      [{ name: 'eyes' }, 201],
      [{ name: 'eyes' }, 404],
    ]);
    const unknown = await rejection(gitlab.acknowledgeComment(PROJECT, 11, 424242));
    expect(unknown).toMatchObject({ status: 404 });
  });

  it.each<{ level: 5 | 10 | 20 | 30 | 40 | 50; name: string; expected: string }>([
    { level: 50, name: 'owner', expected: 'admin' },
    { level: 40, name: 'maintainer', expected: 'maintain' },
    { level: 30, name: 'developer', expected: 'write' },
    { level: 20, name: 'reporter', expected: 'triage' },
    { level: 10, name: 'guest', expected: 'read' },
    { level: 5, name: 'minimal access', expected: 'none' },
  ])('maps $name ($level) to $expected', async ({ level, name, expected }) => {
    const username = `member-${name.replace(/ /g, '-')}`;
    standin.setAccess(PROJECT, username, level);
    await expect(gitlab.permission(PROJECT, username)).resolves.toBe(expected);
  });

  it('answers none for a user who is not a member, or does not exist', async () => {
    standin.user('stranger');
    await expect(gitlab.permission(PROJECT, 'stranger')).resolves.toBe('none');
    expect(standin.find('GET', /\/members\/all\/\d+$/).at(-1)?.status).toBe(404);
    await expect(gitlab.permission(PROJECT, 'nobody')).resolves.toBe('none');
    expect(standin.find('GET', /^\/api\/v4\/users$/).at(-1)?.query).toMatchObject({ username: 'nobody' });
    standin.failNext('GET', /\/members\/all\/\d+$/, 500);
    standin.setAccess(PROJECT, 'dev', 30);
    expect(await rejection(gitlab.permission(PROJECT, 'dev'))).toMatchObject({ status: 500, permanent: false });
  });

  it('reads a merge request as a pull request', async () => {
    await expect(gitlab.pullRequest(PROJECT, 11)).resolves.toEqual({
      number: 11,
      state: 'open',
      head: { sha: sha('1'), ref: 'feature' },
      base: { ref: 'main' },
      fork: false,
      author: 'alice',
    });
  });

  it.each([
    { name: 'merged', input: { state: 'merged' as const, mergeCommitSha: sha('f') }, expected: { state: 'merged', fork: false } },
    { name: 'closed', input: { state: 'closed' as const }, expected: { state: 'closed', fork: false } },
    { name: 'being merged (locked)', input: { state: 'locked' as const }, expected: { state: 'open', fork: false } },
    { name: 'from a fork', input: { sourceProject: 'mallory/shop' }, expected: { state: 'open', fork: true } },
  ])('reads a merge request $name', async ({ input, expected }) => {
    standin.setMergeRequest(PROJECT, { iid: 12, sourceBranch: 'topic', targetBranch: 'release', sha: sha('2'), author: 'mallory', ...input });
    await expect(gitlab.pullRequest(PROJECT, 12)).resolves.toMatchObject({ number: 12, head: { sha: sha('2'), ref: 'topic' }, base: { ref: 'release' }, author: 'mallory', ...expected });
  });

  it('records deployments in the interface’s states', async () => {
    const commit = sha('a');
    const record = (state: 'queued' | 'in_progress' | 'success' | 'failure') =>
      gitlab.recordDeployment(PROJECT, { environment: 'shop-prod', sha: commit, ref: 'refs/heads/main', state, description: 'ignored by GitLab' });
    // GitLab's API cannot create a deployment in `created`: queued reports nothing
    await record('queued');
    expect(standin.find('POST', /\/deployments$/)).toHaveLength(0);
    expect(standin.find('GET', /\/deployments$/)).toHaveLength(0);
    await record('in_progress');
    await record('in_progress');
    await record('success');
    await record('success');
    expect(standin.deployments(PROJECT).map((d) => [d.sha, d.ref, d.status, d.environment.name])).toEqual([[commit, 'main', 'success', 'shop-prod']]);
    expect(standin.find('POST', /\/deployments$/).map((r) => r.body)).toEqual([{ environment: 'shop-prod', sha: commit, ref: 'main', tag: false, status: 'running' }]);
    expect(standin.find('PUT', /\/deployments\/\d+$/).map((r) => r.body)).toEqual([{ status: 'success' }]);

    await gitlab.recordDeployment(PROJECT, { environment: 'shop-prod', sha: sha('b'), ref: 'main', state: 'in_progress' });
    await gitlab.recordDeployment(PROJECT, { environment: 'shop-prod', sha: sha('b'), ref: 'main', state: 'failure' });
    expect(standin.deployments(PROJECT).map((d) => [d.sha, d.status])).toEqual([
      [sha('b'), 'failed'],
      [commit, 'success'],
    ]);
  });
});

describe('GitLabProvider permission on a project that does not exist', () => {
  it('fails with 404 instead of answering none', async () => {
    const standin = await GitLabStandIn.start({ token: TOKEN, strictProjects: true });
    try {
      standin.addProject(PROJECT);
      standin.setAccess(PROJECT, 'dev', 30);
      const gitlab = new GitLabProvider({ url: standin.url, token: TOKEN });
      await expect(gitlab.permission(PROJECT, 'dev')).resolves.toBe('write');
      const error = await rejection(gitlab.permission('acme/other', 'dev'));
      expect(error).toBeInstanceOf(GitLabApiError);
      expect(error).toMatchObject({ status: 404, permanent: true });
    } finally {
      await standin.close();
    }
  });
});

describe('GitLabProvider clone URL and credentials with the production fetcher', () => {
  it('fetches a project in a subgroup over HTTPS as oauth2:<token>', async () => {
    const server = await GitHttpServer.start({ username: 'oauth2', token: 'glpat-clone' });
    const repo = await TestRepo.create();
    const cacheDir = await mkdtemp(path.join(os.tmpdir(), 'driftless-gitlab-fetch-'));
    try {
      const head = await repo.commit('manifests', { 'deploy/prod/cm.yaml': 'kind: ConfigMap\n' });
      server.add(repo, PROJECT);
      const gitlab = new GitLabProvider({ url: server.url, token: 'glpat-clone' });
      const checkout = await fetchRevision({ cacheDir, cloneUrl: await gitlab.cloneUrl(PROJECT), credentials: await gitlab.gitCredentials(), sha: head });
      expect(await readFile(path.join(checkout.dir, 'deploy/prod/cm.yaml'), 'utf8')).toBe('kind: ConfigMap\n');
      expect(server.requests.some((r) => r.authorized && r.url.startsWith(`/${PROJECT}.git/`))).toBe(true);
      await checkout.remove();
    } finally {
      await server.close();
      await repo.remove();
      await rm(cacheDir, { recursive: true, force: true });
    }
  });
});

describe('GitLabProvider on a self-managed instance under a relative URL', () => {
  it('calls <url>/api/v4', async () => {
    const standin = await GitLabStandIn.start({ token: TOKEN, pathPrefix: '/gitlab', strictProjects: true });
    try {
      standin.addProject(PROJECT);
      const gitlab = new GitLabProvider({ url: standin.url, token: TOKEN });
      await gitlab.setStatus(PROJECT, { sha: sha('a'), context: 'driftless/shop-prod', state: 'pending', description: 'queued' });
      expect(standin.requests.map((r) => [r.path, r.status])).toEqual([[`/gitlab/api/v4/projects/${ENCODED}/statuses/${sha('a')}`, 201]]);
      const unknown = await rejection(gitlab.setStatus('acme/other', { sha: sha('a'), context: 'driftless/x', state: 'pending', description: 'queued' }));
      expect((unknown as GitLabApiError).status).toBe(404);
    } finally {
      await standin.close();
    }
  });
});

describe('GitLabStandIn endpoints for commands and previews, with the real gitbeaker', () => {
  let standin: GitLabStandIn;
  let api: InstanceType<typeof Gitlab<false>>;

  beforeAll(async () => {
    standin = await GitLabStandIn.start({ token: TOKEN });
    standin.addProject(PROJECT, { id: 4242 });
    api = new Gitlab({ host: standin.url, token: TOKEN });
  });

  afterAll(async () => {
    await standin.close();
  });

  it('answers 401 without the token', async () => {
    const anonymous = new Gitlab({ host: standin.url });
    const error = await rejection(anonymous.Projects.show(PROJECT));
    expect((error as { cause: { response: Response } }).cause.response.status).toBe(401);
    expect(standin.requests.at(-1)?.status).toBe(401);
  });

  it('looks users up and reports their access level, inherited memberships included', async () => {
    standin.setAccess(PROJECT, 'dev', 30);
    standin.setAccess(PROJECT, 'lead', 40);
    const [dev] = await api.Users.all({ username: 'dev' });
    expect(dev).toMatchObject({ username: 'dev', state: 'active' });
    expect(await api.Users.all({ username: 'nobody' })).toEqual([]);
    const member = await api.ProjectMembers.show(PROJECT, dev?.id as number, { includeInherited: true });
    expect(member).toMatchObject({ username: 'dev', access_level: 30 });
    expect(standin.find('GET', /\/members\/all\/\d+$/)).toHaveLength(1);
    const stranger = standin.user('stranger');
    const error = await rejection(api.ProjectMembers.show(PROJECT, stranger.id, { includeInherited: true }));
    expect((error as { cause: { response: Response } }).cause.response.status).toBe(404);
  });

  it('shows a merge request, fork or not', async () => {
    standin.addProject('mallory/shop');
    standin.setMergeRequest(PROJECT, { iid: 3, sourceBranch: 'feature', targetBranch: 'main', sha: sha('a'), sourceProject: 'mallory/shop', author: 'mallory' });
    const mr = await api.MergeRequests.show(PROJECT, 3);
    expect(mr).toMatchObject({ iid: 3, project_id: 4242, target_project_id: 4242, source_branch: 'feature', target_branch: 'main', sha: sha('a'), state: 'opened' });
    expect(mr.source_project_id).not.toBe(4242);
    expect((mr.author as { username: string }).username).toBe('mallory');
  });

  it('awards an emoji on a note once', async () => {
    standin.setMergeRequest(PROJECT, { iid: 4, sourceBranch: 'f', targetBranch: 'main', sha: sha('b') });
    const note = standin.addNote(PROJECT, 4, '/deploy shop-prod', 'dev');
    const award = await api.MergeRequestNoteAwardEmojis.award(PROJECT, 4, note.id, 'eyes');
    expect(award).toMatchObject({ name: 'eyes', awardable_id: note.id, awardable_type: 'Note', user: { username: 'driftless-bot' } });
    const again = await rejection(api.MergeRequestNoteAwardEmojis.award(PROJECT, 4, note.id, 'eyes'));
    expect((again as { cause: { response: Response } }).cause.response.status).toBe(404);
    expect(standin.awardEmoji(PROJECT, note.id).map((a) => a.name)).toEqual(['eyes']);
    expect(await api.MergeRequestNoteAwardEmojis.all(PROJECT, 4, note.id)).toHaveLength(1);
  });

  it('refuses to edit another user’s note', async () => {
    const note = standin.addNote(PROJECT, 4, 'mine', 'dev');
    const error = await rejection(api.MergeRequestNotes.edit(PROJECT, 4, note.id, { body: 'taken over' }));
    expect((error as { cause: { response: Response } }).cause.response.status).toBe(403);
  });

  it('lists environments and shows the last successful deployment', async () => {
    await api.Deployments.create(PROJECT, 'review/feature-x', sha('c'), 'feature-x', false, { status: 'success' });
    const environments = await api.Environments.all(PROJECT, { name: 'review/feature-x' });
    expect(environments).toHaveLength(1);
    expect(environments[0]).toMatchObject({ name: 'review/feature-x', tier: 'development', state: 'available' });
    const shown = await api.Environments.show(PROJECT, environments[0]?.id as number);
    expect(shown.last_deployment).toMatchObject({ sha: sha('c'), status: 'success' });
    const error = await rejection(api.Deployments.edit(PROJECT, (shown.last_deployment as { id: number }).id, 'running'));
    expect((error as { cause: { response: Response } }).cause.response.status).toBe(400);
  });

  it('lists statuses of a commit, latest per name unless all', async () => {
    await api.Commits.editStatus(PROJECT, sha('d'), 'success', { name: 'driftless/a' });
    await api.Commits.editStatus(PROJECT, sha('d'), 'pending', { name: 'driftless/a' });
    await api.Commits.editStatus(PROJECT, sha('d'), 'failed', { name: 'driftless/b' });
    const latest = await api.Commits.allStatuses(PROJECT, sha('d'));
    expect(latest.map((s) => [s.name, s.status])).toEqual([
      ['driftless/a', 'pending'],
      ['driftless/b', 'failed'],
    ]);
    expect(await api.Commits.allStatuses(PROJECT, sha('d'), { all: true })).toHaveLength(3);
    const invalid = await rejection(api.Commits.editStatus(PROJECT, sha('d'), 'bogus' as 'pending'));
    expect((invalid as { cause: { response: Response } }).cause.response.status).toBe(400);
  });
});
