import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commentMarker } from '../../src/report/comment.js';
import { DriftlessHarness } from '../helpers/driftless.js';
import { createNamespace, testKube, uniqueName } from '../helpers/kube.js';
import { cm } from '../helpers/manifests.js';

const { client } = testKube();
const fixtures = path.resolve(import.meta.dirname, '../fixtures/gitlab');

describe('merge requests as the control surface (GitLab)', () => {
  let h: DriftlessHarness;
  let namespace: string;
  const IID = 7;
  beforeAll(async () => {
    namespace = uniqueName('mr');
    await createNamespace(client, namespace);
    h = await DriftlessHarness.start({ namespace, provider: 'gitlab' });
    h.gitlab!.addProject(h.repoName, { id: 4242 });
    h.gitlab!.setAccess(h.repoName, 'developer', 30);
  });
  afterAll(async () => {
    await h?.close();
    client.close();
  });

  /** GitLab's documented hook example, adjusted to this project and commit. */
  const hook = async (file: string, sha: string, edit: (p: Record<string, any>) => void) => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const text = (await readFile(path.join(fixtures, file), 'utf8'))
      .replaceAll('acme/platform/shop', h.repoName)
      .replaceAll('__GITLAB_URL__', h.gitlab!.url)
      .replaceAll('__GITLAB_HOST__', new URL(h.gitlab!.url).host)
      .replaceAll(/__(HEAD|AFTER|BEFORE|COMMIT_1)_SHA__/g, sha);
    const payload = JSON.parse(text) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    edit(payload);
    return JSON.stringify(payload);
  };
  const post = (event: string, body: string) =>
    fetch(`${h.url}/webhooks/gitlab`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-gitlab-event': event, 'x-gitlab-token': h.secret, 'idempotency-key': randomUUID() }, body }).then((r) => r.status);
  const ourNotes = () => h.gitlab!.notes(h.repoName, IID).filter((n) => n.body.includes(commentMarker));

  it('previews a merge request in one note, answers /help, and refuses /lock to a developer', async () => {
    const base = await h.repo.commit('base', { 'deploy/a.yaml': cm('a', '1') });
    const push = await hook('push.json', base, (p) => {
      p.before = '1'.repeat(40);
      p.commits = [{ ...p.commits[0], id: base, added: ['deploy/a.yaml'], modified: [], removed: [] }];
      p.total_commits_count = 1;
    });
    expect(await post('Push Hook', push)).toBe(202);
    await expect.poll(() => h.statuses(base).find((s) => s.state === 'success'), { timeout: 30_000 }).toBeTruthy();
    await h.repo.branch('scale-web');
    await h.repo.checkout('scale-web');
    const head = await h.repo.commit('change a', { 'deploy/a.yaml': cm('a', '2') });
    h.gitlab!.setMergeRequest(h.repoName, { iid: IID, author: 'developer', sourceBranch: 'scale-web', targetBranch: 'main', sha: head });

    expect(await post('Merge Request Hook', await hook('merge_request.json', head, (p) => void (p.object_attributes.iid = IID)))).toBe(202);
    await expect.poll(() => h.statuses(head).find((s) => s.context === `driftless/${namespace}/diff` && s.state === 'success')?.description, { timeout: 30_000 }).toBe('1 to change');
    await expect.poll(() => ourNotes().length, { timeout: 10_000 }).toBe(1);
    expect(ourNotes()[0]!.body).toContain('**1 to change**');

    const note = (text: string, user: string) => {
      const created = h.gitlab!.addNote(h.repoName, IID, text, user);
      return hook('note.json', head, (p) => {
        p.object_attributes.note = text;
        p.object_attributes.id = created.id;
        p.user.username = user;
        p.merge_request.iid = IID;
      });
    };
    expect(await post('Note Hook', await note('/help', 'developer'))).toBe(202);
    await expect.poll(() => h.gitlab!.notes(h.repoName, IID).some((n) => n.body.includes('/deploy [target] [sha]')), { timeout: 10_000 }).toBe(true);
    expect(await post('Note Hook', await note('/lock', 'developer'))).toBe(202);
    await expect.poll(() => h.gitlab!.notes(h.repoName, IID).some((n) => n.body.includes(`needs maintain permission; @developer has write`)), { timeout: 10_000 }).toBe(true);
    // every command was acknowledged with an award emoji
    expect(h.gitlab!.find('POST', /award_emoji$/).length).toBeGreaterThanOrEqual(2);
    expect(ourNotes()).toHaveLength(1);
  });
});
