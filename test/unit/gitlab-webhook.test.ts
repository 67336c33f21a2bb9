import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GitLabWebhook } from '../../src/providers/gitlab/webhook.js';
import { WebhookError } from '../../src/providers/types.js';
import { thrownBy } from '../helpers/rejection.js';
import { verify } from '../helpers/verify.js';

type Headers = Record<string, string | string[] | undefined>;

const TOKEN = 'gl-webhook-token-0123456789';
const KEY = Buffer.alloc(32, 7);
const SIGNING_TOKEN = `whsec_${KEY.toString('base64')}`;
const BEFORE = '1'.repeat(40);
const AFTER = 'a'.repeat(40);
const COMMIT_1 = 'b'.repeat(40);
const HEAD = 'c'.repeat(40);
const ZERO = '0'.repeat(40);

const fixtureDir = path.resolve(import.meta.dirname, '../fixtures/gitlab');

/** A documented-shape payload with its placeholders filled in. */
function fixture(name: 'push' | 'merge_request' | 'note', vars: Record<string, string> = {}): Record<string, unknown> {
  let text = readFileSync(path.join(fixtureDir, `${name}.json`), 'utf8');
  const all: Record<string, string> = {
    __GITLAB_URL__: 'https://gitlab.example.com',
    __GITLAB_HOST__: 'gitlab.example.com',
    __BEFORE_SHA__: BEFORE,
    __AFTER_SHA__: AFTER,
    __COMMIT_1_SHA__: COMMIT_1,
    __HEAD_SHA__: HEAD,
    ...vars,
  };
  for (const [placeholder, value] of Object.entries(all)) text = text.replaceAll(placeholder, value);
  expect(text, 'every placeholder replaced').not.toMatch(/__[A-Z0-9_]+__/);
  return JSON.parse(text) as Record<string, unknown>;
}

const body = (payload: unknown): Buffer => Buffer.from(JSON.stringify(payload));

/** Standard Webhooks signature headers for `raw`, signed with `key` at `timestamp` seconds. */
function signed(raw: Buffer, options: { key?: Buffer; timestamp?: number; id?: string } = {}): Headers {
  const id = options.id ?? 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const mac = createHmac('sha256', options.key ?? KEY)
    .update(`${id}.${timestamp}.`)
    .update(raw)
    .digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${mac}` };
}

describe('GitLabWebhook.authenticate', () => {
  const receiver = new GitLabWebhook({ webhookToken: TOKEN, signingToken: SIGNING_TOKEN });
  const tokenOnly = new GitLabWebhook({ webhookToken: TOKEN });
  const raw = body(fixture('push'));
  const event = { 'x-gitlab-event': 'Push Hook' };
  const now = Math.floor(Date.now() / 1000);

  const cases: { name: string; receiver?: GitLabWebhook; body?: Buffer; headers: Headers; status?: number; reason?: RegExp }[] = [
    { name: 'right token', headers: { ...event, 'x-gitlab-token': TOKEN } },
    { name: 'right token, no signing token configured', receiver: tokenOnly, headers: { ...event, 'x-gitlab-token': TOKEN } },
    { name: 'missing token', headers: { ...event }, status: 401, reason: /missing X-Gitlab-Token/ },
    { name: 'empty token', headers: { ...event, 'x-gitlab-token': '' }, status: 401, reason: /missing/ },
    { name: 'wrong token of the same length', headers: { ...event, 'x-gitlab-token': TOKEN.replace(/.$/, 'X') }, status: 401, reason: /does not match/ },
    { name: 'wrong-length token', headers: { ...event, 'x-gitlab-token': 'short' }, status: 401, reason: /does not match/ },
    { name: 'very long token', headers: { ...event, 'x-gitlab-token': 'x'.repeat(10_000) }, status: 401, reason: /does not match/ },
    { name: 'token repeated as an array takes the first', headers: { ...event, 'x-gitlab-token': [TOKEN, 'other'] } },
    { name: 'signed webhook valid, no token', headers: { ...event, ...signed(raw) } },
    { name: 'signed webhook valid, right token', headers: { ...event, 'x-gitlab-token': TOKEN, ...signed(raw) } },
    { name: 'signed webhook valid but wrong token', headers: { ...event, 'x-gitlab-token': 'nope', ...signed(raw) }, status: 401, reason: /X-Gitlab-Token/ },
    { name: 'signed 4 minutes ago', headers: { ...event, ...signed(raw, { timestamp: now - 240 }) } },
    { name: 'stale timestamp (> 5 min old)', headers: { ...event, ...signed(raw, { timestamp: now - 301 - 5 }) }, status: 401, reason: /more than 5 minutes old/ },
    { name: 'timestamp far in the future', headers: { ...event, ...signed(raw, { timestamp: now + 600 }) }, status: 401, reason: /future/ },
    { name: 'timestamp not a number', headers: { ...event, ...signed(raw), 'webhook-timestamp': '2024-01-01T00:00:00Z' }, status: 401, reason: /Unix time/ },
    { name: 'forged signature (other key)', headers: { ...event, ...signed(raw, { key: randomBytes(32) }) }, status: 401, reason: /webhook-signature does not match/ },
    { name: 'signature of another body', body: body({ ...fixture('push'), ref: 'refs/heads/evil' }), headers: { ...event, ...signed(raw) }, status: 401, reason: /does not match/ },
    {
      name: 'signature of another delivery id',
      headers: { ...event, ...signed(raw), 'webhook-id': 'msg_other' },
      status: 401,
      reason: /does not match/,
    },
    { name: 'signature garbage', headers: { ...event, ...signed(raw), 'webhook-signature': 'v1,!!!' }, status: 401, reason: /does not match/ },
    { name: 'unknown signature version', headers: { ...event, ...signed(raw), 'webhook-signature': signed(raw)['webhook-signature']?.toString().replace('v1,', 'v2,') }, status: 401 },
    {
      name: 'several signatures, one valid (key rotation)',
      headers: { ...event, ...signed(raw), 'webhook-signature': `v1,${randomBytes(32).toString('base64')} ${String(signed(raw)['webhook-signature'])}` },
    },
    { name: 'signature headers incomplete', headers: { ...event, ...signed(raw), 'webhook-id': undefined }, status: 401, reason: /needs webhook-id/ },
    {
      name: 'signature without a signing token configured is not a credential',
      receiver: tokenOnly,
      headers: { ...event, ...signed(raw) },
      status: 401,
      reason: /missing X-Gitlab-Token/,
    },
    { name: 'missing X-Gitlab-Event', headers: { 'x-gitlab-token': TOKEN }, status: 400, reason: /X-Gitlab-Event/ },
    { name: 'missing X-Gitlab-Event and token: 401 first', headers: {}, status: 401 },
  ];

  it.each(cases)('$name', async (c) => {
    const error = await thrownBy(() => verify(c.receiver ?? receiver, c.body ?? raw, c.headers));
    if (c.status === undefined) {
      expect(error).toBeUndefined();
      return;
    }
    expect(error).toBeInstanceOf(WebhookError);
    expect((error as WebhookError).status).toBe(c.status);
    if (c.reason) expect((error as WebhookError).message).toMatch(c.reason);
    expect((error as WebhookError).message).not.toContain(TOKEN);
  });

  it('accepts a signing token that is not in whsec_ form as raw key bytes', async () => {
    const plain = new GitLabWebhook({ webhookToken: TOKEN, signingToken: 'plain-signing-secret' });
    expect(() => verify(plain, raw, { ...event, ...signed(raw, { key: Buffer.from('plain-signing-secret') }) })).not.toThrow();
    expect(await thrownBy(() => verify(plain, raw, { ...event, ...signed(raw) }))).toBeInstanceOf(WebhookError);
  });

  it('refuses an empty webhook token at construction', () => {
    expect(() => new GitLabWebhook({ webhookToken: '' })).toThrow(/webhookToken/);
  });
});

describe('GitLabWebhook.deliveryId', () => {
  const receiver = new GitLabWebhook({ webhookToken: TOKEN });
  it.each([
    { name: 'Idempotency-Key first', headers: { 'idempotency-key': 'idem-1', 'webhook-id': 'wh-1', 'x-gitlab-webhook-uuid': 'uuid-1' }, id: 'idem-1' },
    { name: 'webhook-id when no Idempotency-Key', headers: { 'webhook-id': 'wh-1', 'x-gitlab-webhook-uuid': 'uuid-1' }, id: 'wh-1' },
    { name: 'X-Gitlab-Webhook-UUID on older GitLab', headers: { 'x-gitlab-webhook-uuid': 'uuid-1' }, id: 'uuid-1' },
    { name: 'empty Idempotency-Key falls back', headers: { 'idempotency-key': '', 'x-gitlab-webhook-uuid': 'uuid-1' }, id: 'uuid-1' },
    { name: 'none', headers: {}, id: undefined },
  ])('$name', ({ headers, id }) => {
    expect(receiver.deliveryId(headers)).toBe(id);
  });
});

describe('GitLabWebhook.normalize', () => {
  const receiver = new GitLabWebhook({ webhookToken: TOKEN });
  const normalize = (name: string, payload: unknown) => receiver.normalize(body(payload), { 'x-gitlab-event': name });
  const push = (vars: Record<string, string> = {}, patch: Record<string, unknown> = {}) => ({ ...fixture('push', vars), ...patch });
  const mergeRequest = (attributes: Record<string, unknown> = {}, patch: Record<string, unknown> = {}) => {
    const payload = fixture('merge_request');
    return { ...payload, object_attributes: { ...(payload.object_attributes as object), ...attributes }, ...patch };
  };
  const note = (attributes: Record<string, unknown> = {}, patch: Record<string, unknown> = {}) => {
    const payload = fixture('note');
    return { ...payload, object_attributes: { ...(payload.object_attributes as object), ...attributes }, ...patch };
  };
  const commits = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      id: String(i).padStart(40, 'd'),
      message: `commit ${i}`,
      added: [`deploy/prod/file-${i}.yaml`],
      modified: [],
      removed: [],
    }));

  it('normalizes a push to a project in a subgroup', () => {
    expect(normalize('Push Hook', push())).toEqual({
      kind: 'push',
      provider: 'gitlab',
      repo: 'acme/platform/shop',
      repoId: '4242',
      ref: 'refs/heads/main',
      after: AFTER,
      deleted: false,
      changedPaths: ['deploy/prod/hpa.yaml', 'deploy/prod/deployment.yaml', 'README.md', 'docs/old.md'],
      actor: 'jsmith',
    });
  });

  const pushCases: { name: string; payload: () => unknown; expected: Record<string, unknown> }[] = [
    {
      name: 'branch deletion (after all zeros)',
      payload: () => push({ __AFTER_SHA__: ZERO }, { commits: [], total_commits_count: 0, checkout_sha: null }),
      expected: { kind: 'push', deleted: true, after: ZERO, changedPaths: undefined },
    },
    {
      name: 'branch creation (before all zeros): paths unknown',
      payload: () => push({ __BEFORE_SHA__: ZERO }),
      expected: { kind: 'push', deleted: false, changedPaths: undefined },
    },
    {
      name: 'more than 20 commits: GitLab lists 20, paths unknown',
      payload: () => push({}, { commits: commits(20), total_commits_count: 57 }),
      expected: { kind: 'push', changedPaths: undefined },
    },
    {
      name: 'exactly 20 commits, all listed: paths known',
      payload: () => push({}, { commits: commits(20), total_commits_count: 20 }),
      expected: { kind: 'push', changedPaths: commits(20).map((c) => c.added[0]) },
    },
    {
      name: 'null path lists, as some GitLab versions send',
      payload: () => push({}, { commits: [{ id: AFTER, added: null, modified: ['deploy/prod/a.yaml'], removed: null }], total_commits_count: 1 }),
      expected: { kind: 'push', changedPaths: ['deploy/prod/a.yaml'] },
    },
    {
      name: 'the same path in several commits is listed once',
      payload: () =>
        push({}, { commits: [{ added: ['a.yaml'], modified: [], removed: [] }, { added: [], modified: ['a.yaml'], removed: [] }], total_commits_count: 2 }),
      expected: { kind: 'push', changedPaths: ['a.yaml'] },
    },
    {
      name: 'user name when the username is absent',
      payload: () => push({}, { user_username: undefined }),
      expected: { kind: 'push', actor: 'John Smith' },
    },
  ];

  it.each(pushCases)('$name', ({ payload, expected }) => {
    expect(normalize('Push Hook', payload())).toMatchObject(expected);
    if ('changedPaths' in expected && expected.changedPaths === undefined) {
      expect((normalize('Push Hook', payload()) as { changedPaths?: unknown }).changedPaths).toBeUndefined();
    }
  });

  const ignoredCases: { name: string; event: string; payload: () => unknown; reason: RegExp }[] = [
    {
      name: 'tag push',
      event: 'Tag Push Hook',
      payload: () => push({}, { object_kind: 'tag_push', event_name: 'tag_push', ref: 'refs/tags/v1.0.0', commits: [], total_commits_count: 0 }),
      reason: /tag/,
    },
    { name: 'unknown event', event: 'Pipeline Hook', payload: () => ({ object_kind: 'pipeline' }), reason: /Pipeline Hook is not handled/ },
    { name: 'merge request metadata edit', event: 'Merge Request Hook', payload: () => mergeRequest({ action: 'update' }), reason: /without new commits/ },
    { name: 'merge request approval', event: 'Merge Request Hook', payload: () => mergeRequest({ action: 'approved' }), reason: /approved is not handled/ },
    { name: 'comment on an issue', event: 'Note Hook', payload: () => note({ noteable_type: 'Issue' }, { merge_request: undefined }), reason: /Issue/ },
    { name: 'system note', event: 'Note Hook', payload: () => note({ system: true }), reason: /system/ },
    { name: 'edited comment', event: 'Note Hook', payload: () => note({ action: 'update' }), reason: /update/ },
  ];

  it.each(ignoredCases)('ignores $name', ({ event, payload, reason }) => {
    const result = normalize(event, payload());
    expect(result.kind).toBe('ignored');
    expect((result as { reason: string }).reason).toMatch(reason);
  });

  it('normalizes a merge request opened in the same project', () => {
    expect(normalize('Merge Request Hook', mergeRequest())).toEqual({
      kind: 'pull_request',
      provider: 'gitlab',
      repo: 'acme/platform/shop',
      repoId: '4242',
      action: 'opened',
      number: 7,
      head: { sha: HEAD, ref: 'scale-web' },
      base: { ref: 'main' },
      fork: false,
      actor: 'root',
    });
  });

  it.each([
    { raw: 'reopen', attributes: {}, action: 'reopened' },
    { raw: 'update', attributes: { oldrev: BEFORE }, action: 'updated' },
    { raw: 'close', attributes: { state: 'closed' }, action: 'closed' },
    { raw: 'merge', attributes: { state: 'merged' }, action: 'merged' },
  ])('maps merge request action $raw to $action', ({ raw, attributes, action }) => {
    expect(normalize('Merge Request Hook', mergeRequest({ action: raw, ...attributes }))).toMatchObject({ kind: 'pull_request', action });
  });

  it('carries the merge commit of a merged merge request, and only of a merged one', () => {
    const mergeCommit = 'e'.repeat(40);
    const merged = normalize('Merge Request Hook', mergeRequest({ action: 'merge', state: 'merged', merge_commit_sha: mergeCommit }));
    expect(merged).toMatchObject({ kind: 'pull_request', action: 'merged', mergeCommitSha: mergeCommit });
    const withoutMergeCommit = normalize('Merge Request Hook', mergeRequest({ action: 'merge', state: 'merged', merge_commit_sha: null }));
    expect(withoutMergeCommit).not.toHaveProperty('mergeCommitSha');
    const opened = normalize('Merge Request Hook', mergeRequest({ merge_commit_sha: mergeCommit }));
    expect(opened).not.toHaveProperty('mergeCommitSha');
  });

  it('treats a new target branch as an update', () => {
    const payload = mergeRequest({ action: 'update' }, { changes: { target_branch: { previous: 'main', current: 'release' } } });
    expect(normalize('Merge Request Hook', payload)).toMatchObject({ kind: 'pull_request', action: 'updated' });
  });

  it('marks a merge request from a fork', () => {
    const payload = mergeRequest({ source_project_id: 9999 });
    expect(normalize('Merge Request Hook', payload)).toMatchObject({ fork: true });
  });

  it('normalizes a note on a merge request', () => {
    expect(normalize('Note Hook', note())).toEqual({
      kind: 'comment',
      provider: 'gitlab',
      repo: 'acme/platform/shop',
      repoId: '4242',
      pr: 7,
      commentId: 1244,
      author: 'root',
      body: '/deploy shop-prod',
    });
  });

  it('reads the kind of a system hook from the payload', () => {
    expect(normalize('System Hook', push())).toMatchObject({ kind: 'push', repo: 'acme/platform/shop' });
  });

  const malformed: { name: string; event: string; raw: Buffer; reason: RegExp }[] = [
    { name: 'malformed JSON', event: 'Push Hook', raw: Buffer.from('{"object_kind": "push",'), reason: /not valid JSON/ },
    { name: 'empty body', event: 'Push Hook', raw: Buffer.alloc(0), reason: /not valid JSON/ },
    { name: 'JSON that is not an object', event: 'Push Hook', raw: Buffer.from('[1,2]'), reason: /\(root\)/ },
    { name: 'push without project', event: 'Push Hook', raw: body({ ...fixture('push'), project: undefined }), reason: /project/ },
    { name: 'push with a non-numeric total', event: 'Push Hook', raw: body({ ...fixture('push'), total_commits_count: 'many' }), reason: /total_commits_count/ },
    { name: 'merge request without iid', event: 'Merge Request Hook', raw: body(mergeRequest({ iid: undefined })), reason: /object_attributes\.iid/ },
    { name: 'note on a merge request without merge_request', event: 'Note Hook', raw: body(note({}, { merge_request: undefined })), reason: /merge_request/ },
  ];

  it.each(malformed)('rejects $name with 400', ({ event, raw, reason }) => {
    let error: unknown;
    try {
      receiver.normalize(raw, { 'x-gitlab-event': event });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WebhookError);
    expect((error as WebhookError).status).toBe(400);
    expect((error as WebhookError).message).toMatch(reason);
  });
});
