import { z } from 'zod';
import { header, parseJson, parsePayload, type Headers } from '../payload.js';
import { WebhookError, type BodyVerifier, type CommentEvent, type PullRequestEvent, type ReceivedEvent, type WebhookReceiver } from '../types.js';
import { authenticatedByHeaders, HmacVerifier, sameDigest, sameSecret } from '../verify.js';

/** Options of GitLabWebhook. */
export interface GitLabWebhookOptions {
  /** Secret token of the GitLab webhook, compared with X-Gitlab-Token. */
  webhookToken: string;
  /** Signing token of the GitLab webhook (`whsec_<base64 key>`), to verify `webhook-signature`. */
  signingToken?: string;
}

/** A signed delivery older (or newer) than this is refused as a possible replay. */
const maxSignatureAgeSeconds = 5 * 60;

const project = z.object({
  id: z.number().int().positive(),
  path_with_namespace: z.string().min(1),
});

/** GitLab sends null instead of an empty list in some versions. */
const list = <T extends z.ZodType>(item: T) =>
  z
    .array(item)
    .nullish()
    .transform((v) => v ?? []);

const commit = z.object({ added: list(z.string()), modified: list(z.string()), removed: list(z.string()) });

/** The part of a Push Hook payload Driftless reads. */
const pushSchema = z.object({
  ref: z.string().min(1),
  before: z.string().min(1),
  after: z.string().min(1),
  user_username: z.string().optional(),
  user_name: z.string().optional(),
  project,
  commits: list(commit),
  total_commits_count: z.number().int().nonnegative(),
});

/** The part of a Merge Request Hook payload Driftless reads. */
const mergeRequestSchema = z.object({
  user: z.object({ username: z.string() }),
  project,
  object_attributes: z.object({
    iid: z.number().int().positive(),
    action: z.string().optional(),
    source_branch: z.string(),
    target_branch: z.string(),
    source_project_id: z.number().int(),
    target_project_id: z.number().int(),
    /** Present on `update` when the update pushed new commits. */
    oldrev: z.string().optional(),
    last_commit: z.object({ id: z.string() }).nullish(),
    /** On `merge`, the commit the merge made on the target branch, when GitLab reports one. */
    merge_commit_sha: z.string().nullish(),
  }),
  changes: z.object({ target_branch: z.unknown().optional() }).nullish(),
});

/** The part of a Note Hook payload Driftless reads. */
const noteSchema = z.object({
  user: z.object({ username: z.string() }),
  project,
  object_attributes: z.object({
    id: z.number().int().positive(),
    note: z.string(),
    noteable_type: z.string(),
    system: z.boolean().optional(),
    /** `create` or `update` (GitLab 16.x and later); absent means create. */
    action: z.string().optional(),
  }),
  merge_request: z.object({ iid: z.number().int().positive() }).nullish(),
});

const objectKindSchema = z.object({ object_kind: z.string() });

/** X-Gitlab-Event values and the payload kind each carries. */
const eventKinds: Record<string, string> = {
  'Push Hook': 'push',
  'Tag Push Hook': 'tag_push',
  'Merge Request Hook': 'merge_request',
  'Note Hook': 'note',
};

const mergeRequestActions: Record<string, PullRequestEvent['action']> = {
  open: 'opened',
  reopen: 'reopened',
  close: 'closed',
  merge: 'merged',
};

const zeroSha = /^(?:0{40}|0{64})$/;

/** The HMAC key of a signing token: Standard Webhooks' `whsec_<base64>`, or the token's bytes. */
function signingKey(token: string): Buffer {
  if (!token.startsWith('whsec_')) return Buffer.from(token, 'utf8');
  const key = Buffer.from(token.slice('whsec_'.length), 'base64');
  if (key.length === 0) throw new Error('providers.gitlab.signingToken: the whsec_ token holds no key');
  return key;
}

/**
 * Verifies and normalizes GitLab webhook deliveries: the secret token (X-Gitlab-Token) and,
 * when a signing token is configured, GitLab's signed webhooks (`webhook-signature`).
 */
export class GitLabWebhook implements WebhookReceiver {
  readonly provider = 'gitlab' as const;
  private readonly webhookToken: string;
  private readonly signingKey: Buffer | undefined;

  constructor(options: GitLabWebhookOptions) {
    if (!options.webhookToken) throw new Error('providers.gitlab.webhookToken must not be empty');
    this.webhookToken = options.webhookToken;
    this.signingKey = options.signingToken ? signingKey(options.signingToken) : undefined;
  }

  /** Idempotency-Key is repeated on GitLab's retries; X-Gitlab-Webhook-UUID (older GitLab) is not. */
  deliveryId(headers: Headers): string | undefined {
    return header(headers, 'idempotency-key') || header(headers, 'webhook-id') || header(headers, 'x-gitlab-webhook-uuid') || undefined;
  }

  /**
   * Every credential the delivery carries must match, and it must carry one: the token, or a
   * signature when a signing token is configured (signature headers are ignored otherwise). The
   * token is in a header, so a wrong one is refused before the body is read; a signature can
   * only be checked once the whole body is in.
   */
  authenticate(headers: Headers): BodyVerifier {
    const token = header(headers, 'x-gitlab-token') || undefined;
    const signed = this.signingKey !== undefined && ['webhook-id', 'webhook-timestamp', 'webhook-signature'].some((h) => header(headers, h) !== undefined);
    if (token === undefined && !signed) {
      throw new WebhookError(
        401,
        this.signingKey
          ? 'missing X-Gitlab-Token and webhook-signature headers: set the secret token or the signing token on the GitLab webhook'
          : 'missing X-Gitlab-Token header: set a secret token on the GitLab webhook',
      );
    }
    if (token !== undefined && !sameSecret(token, this.webhookToken)) {
      throw new WebhookError(401, 'X-Gitlab-Token does not match providers.gitlab.webhookToken');
    }
    const verifier = signed && this.signingKey ? this.signatureVerifier(this.signingKey, headers, token !== undefined) : authenticatedByHeaders;
    if (!header(headers, 'x-gitlab-event')) throw new WebhookError(400, 'missing X-Gitlab-Event header');
    return verifier;
  }

  /** Standard Webhooks: `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, several allowed. */
  private signatureVerifier(key: Buffer, headers: Headers, tokenMatched: boolean): BodyVerifier {
    const id = header(headers, 'webhook-id');
    const timestamp = header(headers, 'webhook-timestamp');
    const signatures = header(headers, 'webhook-signature');
    if (!id || !timestamp || !signatures) {
      throw new WebhookError(401, 'signed delivery needs webhook-id, webhook-timestamp and webhook-signature headers');
    }
    if (!/^\d{1,12}$/.test(timestamp)) throw new WebhookError(401, 'webhook-timestamp is not a Unix time in seconds');
    const age = Math.floor(Date.now() / 1000) - Number(timestamp);
    if (age > maxSignatureAgeSeconds) throw new WebhookError(401, 'webhook-timestamp is more than 5 minutes old: a replayed or late delivery');
    if (age < -maxSignatureAgeSeconds) throw new WebhookError(401, 'webhook-timestamp is more than 5 minutes in the future: check the clocks');
    const claimed = signatures.split(' ').flatMap((entry) => {
      const comma = entry.indexOf(',');
      return comma >= 0 && entry.slice(0, comma) === 'v1' ? [Buffer.from(entry.slice(comma + 1), 'base64')] : [];
    });
    const mismatch = 'webhook-signature does not match: the signing token differs from providers.gitlab.signingToken';
    if (claimed.length === 0) throw new WebhookError(401, mismatch);
    return new HmacVerifier(key, (digest) => claimed.some((given) => sameDigest(given, digest)), mismatch, { prefix: `${id}.${timestamp}.`, authenticated: tokenMatched });
  }

  normalize(rawBody: Buffer, headers: Headers): ReceivedEvent {
    const name = header(headers, 'x-gitlab-event') ?? '';
    const payload = parseJson(rawBody);
    // system hooks carry project events under one header; the payload names its kind
    const kind = name === 'System Hook' ? objectKindSchema.safeParse(payload).data?.object_kind : eventKinds[name];
    switch (kind) {
      case 'push':
        return this.push(parsePayload(pushSchema, payload, 'Push Hook'));
      case 'tag_push':
        return { kind: 'ignored', reason: 'tag pushes do not deploy' };
      case 'merge_request':
        return this.mergeRequest(parsePayload(mergeRequestSchema, payload, 'Merge Request Hook'));
      case 'note':
        return this.note(parsePayload(noteSchema, payload, 'Note Hook'));
      default:
        return { kind: 'ignored', reason: `event ${name || '(none)'} is not handled` };
    }
  }

  private push(p: z.infer<typeof pushSchema>): ReceivedEvent {
    if (!p.ref.startsWith('refs/heads/')) return { kind: 'ignored', reason: `ref ${p.ref} is not a branch` };
    const deleted = zeroSha.test(p.after);
    // GitLab lists at most 20 commits (total_commits_count has the real number), and a new
    // branch lists only commits new to the project: in both cases what changed is unknown
    const complete = !deleted && !zeroSha.test(p.before) && p.total_commits_count <= p.commits.length;
    return {
      kind: 'push',
      provider: 'gitlab',
      repo: p.project.path_with_namespace,
      repoId: String(p.project.id),
      ref: p.ref,
      after: p.after,
      deleted,
      changedPaths: complete ? [...new Set(p.commits.flatMap((c) => [...c.added, ...c.modified, ...c.removed]))] : undefined,
      actor: p.user_username ?? p.user_name ?? 'unknown',
    };
  }

  private mergeRequest(p: z.infer<typeof mergeRequestSchema>): PullRequestEvent | ReceivedEvent {
    const mr = p.object_attributes;
    const raw = mr.action ?? '';
    let action = mergeRequestActions[raw];
    if (raw === 'update') {
      // title, label or assignee edits change nothing a preview shows
      if (mr.oldrev === undefined && p.changes?.target_branch === undefined) {
        return { kind: 'ignored', reason: 'merge request edited without new commits' };
      }
      action = 'updated';
    }
    if (action === undefined) return { kind: 'ignored', reason: `merge request action ${raw || '(none)'} is not handled` };
    const sha = mr.last_commit?.id;
    if (!sha && (action === 'opened' || action === 'reopened' || action === 'updated')) {
      throw new WebhookError(400, 'Merge Request Hook payload has no object_attributes.last_commit');
    }
    return {
      kind: 'pull_request',
      provider: 'gitlab',
      repo: p.project.path_with_namespace,
      repoId: String(p.project.id),
      action,
      number: mr.iid,
      // empty only when a closed or merged request no longer knows its head
      head: { sha: sha ?? '', ref: mr.source_branch },
      base: { ref: mr.target_branch },
      fork: mr.source_project_id !== mr.target_project_id,
      actor: p.user.username,
      ...(action === 'merged' && mr.merge_commit_sha ? { mergeCommitSha: mr.merge_commit_sha } : {}),
    };
  }

  private note(p: z.infer<typeof noteSchema>): CommentEvent | ReceivedEvent {
    const note = p.object_attributes;
    if (note.noteable_type !== 'MergeRequest') return { kind: 'ignored', reason: `comment on a ${note.noteable_type}, not a merge request` };
    if (note.system) return { kind: 'ignored', reason: 'system note' };
    if (note.action !== undefined && note.action !== 'create') return { kind: 'ignored', reason: `comment ${note.action}: only new comments carry commands` };
    if (!p.merge_request) throw new WebhookError(400, 'Note Hook payload on a merge request has no merge_request');
    return {
      kind: 'comment',
      provider: 'gitlab',
      repo: p.project.path_with_namespace,
      repoId: String(p.project.id),
      pr: p.merge_request.iid,
      commentId: note.id,
      author: p.user.username,
      body: note.note,
    };
  }
}
