import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { GitHubWebhook } from '../../src/providers/github/webhook.js';
import { WebhookError, type ReceivedEvent } from '../../src/providers/types.js';
import { thrownBy } from '../helpers/rejection.js';
import { verify } from '../helpers/verify.js';

type Headers = Record<string, string | string[] | undefined>;
type Payload = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const SECRET = 'gh-webhook-secret-0123456789';
const MERGE_SHA = 'd'.repeat(40);

const require = createRequire(import.meta.url);
const examples = require('@octokit/webhooks-examples') as { name: string; examples: Payload[] }[];

/** A copy of GitHub's documented example of `event` with this `action` (the first one). */
function example(event: string, action?: string): Payload {
  const found = examples.find((e) => e.name === event)?.examples.find((p) => action === undefined || p.action === action);
  if (!found) throw new Error(`no @octokit/webhooks-examples payload for ${event}.${action ?? ''}`);
  return structuredClone(found);
}

/** The documented issue_comment example as GitHub sends it for a pull request: `issue.pull_request` is set. */
function prComment(action = 'created'): Payload {
  const p = example('issue_comment', action);
  p.issue.pull_request = {
    url: `https://api.github.com/repos/${p.repository.full_name}/pulls/${p.issue.number}`,
    html_url: `https://github.com/${p.repository.full_name}/pull/${p.issue.number}`,
    diff_url: `https://github.com/${p.repository.full_name}/pull/${p.issue.number}.diff`,
    patch_url: `https://github.com/${p.repository.full_name}/pull/${p.issue.number}.patch`,
    merged_at: null,
  };
  return p;
}

const body = (payload: unknown): Buffer => Buffer.from(JSON.stringify(payload));
const sign = (raw: Buffer | string, secret = SECRET): string => `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;

describe('GitHubWebhook.authenticate', () => {
  const receiver = new GitHubWebhook(SECRET);
  const raw = body(example('pull_request', 'opened'));
  const event = { 'x-github-event': 'pull_request' };

  const cases: { name: string; body?: Buffer; headers: Headers; status?: number; reason?: RegExp }[] = [
    { name: 'right signature', headers: { ...event, 'x-hub-signature-256': sign(raw) } },
    { name: 'signature repeated as an array takes the first', headers: { ...event, 'x-hub-signature-256': [sign(raw), 'sha256=00'] } },
    { name: 'missing signature', headers: { ...event }, status: 401, reason: /missing X-Hub-Signature-256/ },
    { name: 'signature with another secret', headers: { ...event, 'x-hub-signature-256': sign(raw, 'other') }, status: 401, reason: /does not match/ },
    { name: 'body changed after signing', body: body({ ...example('pull_request', 'opened'), number: 99 }), headers: { ...event, 'x-hub-signature-256': sign(raw) }, status: 401, reason: /does not match/ },
    { name: 'SHA-1 signature only', headers: { ...event, 'x-hub-signature': `sha1=${createHmac('sha1', SECRET).update(raw).digest('hex')}` }, status: 401, reason: /missing/ },
    { name: 'malformed signature', headers: { ...event, 'x-hub-signature-256': 'sha256=not-hex' }, status: 401, reason: /does not match/ },
    { name: 'missing event header', headers: { 'x-hub-signature-256': sign(raw) }, status: 400, reason: /X-GitHub-Event/ },
  ];

  it.each(cases)('$name', async (c) => {
    const error = await thrownBy(() => verify(receiver, c.body ?? raw, c.headers));
    if (c.status === undefined) {
      expect(error).toBeUndefined();
      return;
    }
    expect(error).toBeInstanceOf(WebhookError);
    expect((error as WebhookError).status).toBe(c.status);
    expect((error as WebhookError).message).toMatch(c.reason ?? /./);
    expect((error as WebhookError).message).not.toContain(SECRET);
  });
});

describe('GitHubWebhook.normalize', () => {
  const receiver = new GitHubWebhook(SECRET);
  const normalize = (event: string, payload: unknown): ReceivedEvent => receiver.normalize(body(payload), { 'x-github-event': event, 'x-github-delivery': 'd-1' });

  it('normalizes an opened pull request from the documented example', () => {
    const p = example('pull_request', 'opened');
    expect(normalize('pull_request', p)).toEqual({
      kind: 'pull_request',
      provider: 'github',
      repo: 'Codertocat/Hello-World',
      action: 'opened',
      number: 2,
      head: { sha: 'ec26c3e57ca3a959ca5aad62de7213c562f8c821', ref: 'changes' },
      base: { ref: 'master' },
      fork: false,
      actor: 'Codertocat',
    });
  });

  const merged = (): Payload => {
    const p = example('pull_request', 'closed');
    p.pull_request.merged = true;
    p.pull_request.merged_at = p.pull_request.closed_at;
    p.pull_request.merge_commit_sha = MERGE_SHA;
    return p;
  };
  const fromFork = (): Payload => {
    const p = example('pull_request', 'opened');
    p.pull_request.head.repo = { ...p.pull_request.head.repo, full_name: 'mallory/Hello-World', clone_url: 'https://github.com/mallory/Hello-World.git' };
    p.pull_request.head.label = 'mallory:changes';
    return p;
  };
  const headDeleted = (): Payload => {
    const p = example('pull_request', 'closed');
    p.pull_request.head.repo = null;
    return p;
  };
  const baseChanged = (): Payload => ({ ...example('pull_request', 'opened'), action: 'edited', changes: { base: { ref: { from: 'main' }, sha: { from: 'e'.repeat(40) } } } });
  const titleChanged = (): Payload => ({ ...example('pull_request', 'opened'), action: 'edited', changes: { title: { from: 'Old title' } } });

  const pullRequestCases: { name: string; payload: () => Payload; expected: Record<string, unknown> }[] = [
    { name: 'reopened', payload: () => example('pull_request', 'reopened'), expected: { action: 'reopened' } },
    { name: 'synchronize is updated', payload: () => example('pull_request', 'synchronize'), expected: { action: 'updated', head: { sha: 'ec26c3e57ca3a959ca5aad62de7213c562f8c821', ref: 'changes' } } },
    { name: 'edited with a new base is updated', payload: baseChanged, expected: { action: 'updated', base: { ref: 'master' } } },
    { name: 'closed and merged is merged, with the merge commit', payload: merged, expected: { action: 'merged', mergeCommitSha: MERGE_SHA } },
    { name: 'from a fork', payload: fromFork, expected: { action: 'opened', fork: true } },
    { name: 'head repository deleted counts as a fork', payload: headDeleted, expected: { action: 'closed', fork: true } },
  ];

  it.each(pullRequestCases)('pull_request $name', ({ payload, expected }) => {
    expect(normalize('pull_request', payload())).toMatchObject({ kind: 'pull_request', provider: 'github', repo: 'Codertocat/Hello-World', number: 2, ...expected });
  });

  it('closed without merge is closed, without a merge commit', () => {
    // the documented example carries a merge_commit_sha (the test merge) though it was not merged
    const p = example('pull_request', 'closed');
    expect(p.pull_request.merged).toBe(false);
    expect(p.pull_request.merge_commit_sha).toMatch(/^[0-9a-f]{40}$/);
    const event = normalize('pull_request', p);
    expect(event).toMatchObject({ kind: 'pull_request', action: 'closed' });
    expect(event).not.toHaveProperty('mergeCommitSha');
  });

  it('normalizes a new comment on a pull request', () => {
    expect(normalize('issue_comment', prComment())).toEqual({
      kind: 'comment',
      provider: 'github',
      repo: 'Codertocat/Hello-World',
      pr: 1,
      commentId: 492700400,
      author: 'Codertocat',
      body: "You are totally right! I'll get this fixed right away.",
    });
  });

  const byBot = (): Payload => {
    const p = prComment();
    p.comment.user = { ...p.comment.user, login: 'driftless[bot]', type: 'Bot' };
    p.comment.body = '<!-- driftless:plan -->\n/deploy shop-prod';
    return p;
  };

  const ignoredCases: { name: string; event: string; payload: () => Payload; reason: RegExp }[] = [
    { name: 'ping', event: 'ping', payload: () => example('ping'), reason: /ping/ },
    { name: 'labeled pull request', event: 'pull_request', payload: () => example('pull_request', 'labeled'), reason: /labeled is not handled/ },
    { name: 'assigned pull request', event: 'pull_request', payload: () => example('pull_request', 'assigned'), reason: /assigned is not handled/ },
    { name: 'ready_for_review pull request', event: 'pull_request', payload: () => example('pull_request', 'ready_for_review'), reason: /not handled/ },
    { name: 'pull request title edit', event: 'pull_request', payload: titleChanged, reason: /without a new base/ },
    { name: 'comment on an issue', event: 'issue_comment', payload: () => example('issue_comment', 'created'), reason: /issue, not a pull request/ },
    { name: 'edited comment on a pull request', event: 'issue_comment', payload: () => prComment('edited'), reason: /edited/ },
    { name: 'deleted comment on a pull request', event: 'issue_comment', payload: () => prComment('deleted'), reason: /deleted/ },
    { name: 'comment by a bot', event: 'issue_comment', payload: byBot, reason: /bot driftless\[bot\]/ },
    { name: 'another event', event: 'check_suite', payload: () => ({ action: 'completed' }), reason: /check_suite is not handled/ },
  ];

  it.each(ignoredCases)('ignores $name', ({ event, payload, reason }) => {
    const result = normalize(event, payload());
    expect(result.kind).toBe('ignored');
    expect((result as { reason: string }).reason).toMatch(reason);
  });

  it('still normalizes a push', () => {
    const p = example('push');
    expect(normalize('push', p)).toMatchObject({ kind: 'push', provider: 'github', repo: p.repository.full_name, ref: p.ref, after: p.after });
  });

  it('a force push names no changed paths: its commits are not what changed since the old tip', () => {
    const p = example('push');
    const commit = { id: 'c'.repeat(40), message: 'x', added: [], removed: [], modified: ['docs/readme.md'] };
    expect(normalize('push', { ...p, forced: false, commits: [commit] })).toMatchObject({ changedPaths: ['docs/readme.md'] });
    expect(normalize('push', { ...p, forced: true, commits: [commit] })).toMatchObject({ changedPaths: undefined });
    expect(normalize('push', { ...p, forced: true, commits: [] })).toMatchObject({ changedPaths: undefined });
  });

  const malformed: { name: string; event: string; raw: Buffer; reason: RegExp }[] = [
    { name: 'malformed JSON', event: 'pull_request', raw: Buffer.from('{"action": "opened",'), reason: /not valid JSON/ },
    { name: 'pull request without head sha', event: 'pull_request', raw: body({ ...example('pull_request', 'opened'), pull_request: { ...example('pull_request', 'opened').pull_request, head: { ref: 'x', repo: null } } }), reason: /pull_request\.head\.sha/ },
    { name: 'pull request without number', event: 'pull_request', raw: body({ ...example('pull_request', 'opened'), number: undefined }), reason: /number/ },
    { name: 'comment without id', event: 'issue_comment', raw: body({ ...prComment(), comment: { ...prComment().comment, id: undefined } }), reason: /comment\.id/ },
    { name: 'JSON that is not an object', event: 'issue_comment', raw: Buffer.from('[1]'), reason: /\(root\)/ },
  ];

  it.each(malformed)('rejects $name with 400', ({ event, raw, reason }) => {
    let error: unknown;
    try {
      receiver.normalize(raw, { 'x-github-event': event });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WebhookError);
    expect((error as WebhookError).status).toBe(400);
    expect((error as WebhookError).message).toMatch(reason);
  });
});
