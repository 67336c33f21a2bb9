import { z } from 'zod';
import { header, parseJson, parsePayload, type Headers } from '../payload.js';
import { WebhookError, type BodyVerifier, type CommentEvent, type PullRequestEvent, type ReceivedEvent, type WebhookReceiver } from '../types.js';
import { HmacVerifier, sameDigest, sha256Signature } from '../verify.js';

const commitSchema = z.object({
  added: z.array(z.string()).default([]),
  removed: z.array(z.string()).default([]),
  modified: z.array(z.string()).default([]),
});

/** The part of GitHub's push payload Driftless reads. */
const pushSchema = z.object({
  ref: z.string(),
  after: z.string(),
  deleted: z.boolean().default(false),
  forced: z.boolean().default(false),
  commits: z.array(commitSchema).default([]),
  repository: z.object({ full_name: z.string() }),
  pusher: z.object({ name: z.string() }).optional(),
  sender: z.object({ login: z.string() }).optional(),
});

const repository = z.object({ full_name: z.string().min(1) });

/** The part of GitHub's pull_request payload Driftless reads. */
const pullRequestSchema = z.object({
  action: z.string(),
  number: z.number().int().positive(),
  pull_request: z.object({
    merged: z.boolean().nullish(),
    merge_commit_sha: z.string().nullish(),
    head: z.object({ sha: z.string().min(1), ref: z.string(), repo: repository.nullable() }),
    base: z.object({ ref: z.string(), repo: repository }),
    user: z.object({ login: z.string() }).nullish(),
  }),
  repository,
  sender: z.object({ login: z.string() }).optional(),
  changes: z.object({ base: z.unknown().optional() }).optional(),
});

/** The part of GitHub's issue_comment payload Driftless reads. */
const issueCommentSchema = z.object({
  action: z.string(),
  issue: z.object({ number: z.number().int().positive(), pull_request: z.unknown().optional() }),
  comment: z.object({
    id: z.number().int().positive(),
    body: z.string().nullish(),
    user: z.object({ login: z.string(), type: z.string().optional() }),
  }),
  repository,
});

/**
 * The part of GitHub's check_run payload a Re-run needs
 * (https://docs.github.com/en/webhooks/webhook-events-and-payloads#check_run): the run's name and
 * commit, the pull requests it belongs to, and who clicked.
 */
const checkRunSchema = z.object({
  action: z.string(),
  check_run: z.object({
    id: z.number().int().positive(),
    name: z.string(),
    head_sha: z.string(),
    pull_requests: z.array(z.object({ number: z.number().int().positive() })).default([]),
  }),
  repository,
  sender: z.object({ login: z.string(), type: z.string().optional() }),
});

/** Our check runs' names: `driftless/<target>` (the deploy) and `driftless/<target>/diff` (the preview). */
const ourCheck = /^driftless\/([a-z0-9]([-a-z0-9]*[a-z0-9])?)(\/diff)?$/;

const pullRequestActions: Record<string, PullRequestEvent['action']> = {
  opened: 'opened',
  reopened: 'reopened',
  synchronize: 'updated',
};

/** GitHub lists at most 20 commits in a push payload (and omits files past that): beyond it, paths are unknown. */
const maxListedCommits = 20;

export class GitHubWebhook implements WebhookReceiver {
  readonly provider = 'github' as const;

  constructor(private readonly secret: string) {}

  deliveryId(headers: Headers): string | undefined {
    return header(headers, 'x-github-delivery');
  }

  /** GitHub signs the whole body (X-Hub-Signature-256, HMAC-SHA256 with the webhook secret; "Validating webhook deliveries" in GitHub's docs). */
  authenticate(headers: Headers): BodyVerifier {
    const signature = header(headers, 'x-hub-signature-256');
    if (!signature) throw new WebhookError(401, 'missing X-Hub-Signature-256 header: set a secret on the GitHub webhook');
    if (!header(headers, 'x-github-event')) throw new WebhookError(400, 'missing X-GitHub-Event header');
    const mismatch = 'signature does not match: the webhook secret differs from providers.github.webhookSecret';
    const claimed = sha256Signature(signature);
    if (!claimed) throw new WebhookError(401, mismatch);
    return new HmacVerifier(this.secret, (digest) => sameDigest(claimed, digest), mismatch);
  }

  normalize(rawBody: Buffer, headers: Headers): ReceivedEvent {
    const event = header(headers, 'x-github-event');
    const payload = parseJson(rawBody);
    if (event === 'ping') return { kind: 'ignored', reason: 'ping' };
    if (event === 'pull_request') return this.pullRequest(parsePayload(pullRequestSchema, payload, 'pull_request'));
    if (event === 'issue_comment') return this.issueComment(parsePayload(issueCommentSchema, payload, 'issue_comment'));
    if (event === 'check_run') return this.checkRun(parsePayload(checkRunSchema, payload, 'check_run'));
    if (event !== 'push') return { kind: 'ignored', reason: `event ${event} is not handled` };
    const parsed = pushSchema.safeParse(payload);
    if (!parsed.success) throw new WebhookError(400, `push payload is missing fields: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`);
    const p = parsed.data;
    // a force push lists only the commits new to the branch, not what changed since the old tip
    const complete = !p.forced && p.commits.length > 0 && p.commits.length < maxListedCommits;
    return {
      kind: 'push',
      provider: 'github',
      repo: p.repository.full_name,
      ref: p.ref,
      after: p.after,
      deleted: p.deleted || /^0{40}$/.test(p.after),
      changedPaths: complete ? [...new Set(p.commits.flatMap((c) => [...c.added, ...c.removed, ...c.modified]))] : undefined,
      actor: p.sender?.login ?? p.pusher?.name ?? 'unknown',
    };
  }

  private pullRequest(p: z.infer<typeof pullRequestSchema>): PullRequestEvent | ReceivedEvent {
    const pr = p.pull_request;
    let action = pullRequestActions[p.action];
    // a title or body edit changes nothing a preview shows; a new base branch does
    if (p.action === 'edited') {
      if (p.changes?.base === undefined) return { kind: 'ignored', reason: 'pull request edited without a new base branch' };
      action = 'updated';
    }
    if (p.action === 'closed') action = pr.merged ? 'merged' : 'closed';
    if (action === undefined) return { kind: 'ignored', reason: `pull request action ${p.action} is not handled` };
    return {
      kind: 'pull_request',
      provider: 'github',
      repo: p.repository.full_name,
      action,
      number: p.number,
      head: { sha: pr.head.sha, ref: pr.head.ref },
      base: { ref: pr.base.ref },
      // a deleted head repository can only have been a fork
      fork: pr.head.repo === null || pr.head.repo.full_name.toLowerCase() !== pr.base.repo.full_name.toLowerCase(),
      actor: p.sender?.login ?? pr.user?.login ?? 'unknown',
      ...(action === 'merged' && pr.merge_commit_sha ? { mergeCommitSha: pr.merge_commit_sha } : {}),
    };
  }

  /**
   * "Re-run" on one of our check runs is the command that check answers to, from whoever clicked,
   * so it is authorized, acknowledged and run as that comment would be: `/diff <target>` for a
   * preview, `/deploy <target> <sha>` for a deploy (a rollback when the target ran the commit
   * before, a branch deploy of a pull request's head). A check outside a pull request has no
   * pull request to authorize against and is ignored with the reason.
   */
  private checkRun(p: z.infer<typeof checkRunSchema>): CommentEvent | ReceivedEvent {
    if (p.action !== 'rerequested') return { kind: 'ignored', reason: `check_run ${p.action} is not handled` };
    const check = ourCheck.exec(p.check_run.name);
    if (!check) return { kind: 'ignored', reason: `check run ${p.check_run.name} is not Driftless's` };
    const pr = p.check_run.pull_requests[0];
    if (!pr) return { kind: 'ignored', reason: `Re-run of ${p.check_run.name} outside a pull request: run /sync on a pull request or driftless sync` };
    const [, target, , diff] = check;
    return {
      kind: 'comment',
      provider: 'github',
      repo: p.repository.full_name,
      pr: pr.number,
      // no comment to react to: the check's new queued run is the acknowledgement
      author: p.sender.login,
      body: diff ? `/diff ${target}` : `/deploy ${target} ${p.check_run.head_sha}`,
    };
  }

  private issueComment(p: z.infer<typeof issueCommentSchema>): CommentEvent | ReceivedEvent {
    if (p.issue.pull_request === undefined || p.issue.pull_request === null) return { kind: 'ignored', reason: 'comment on an issue, not a pull request' };
    if (p.action !== 'created') return { kind: 'ignored', reason: `comment ${p.action}: only new comments carry commands` };
    // Driftless's own replies, and other bots', never carry commands
    if (p.comment.user.type === 'Bot') return { kind: 'ignored', reason: `comment by the bot ${p.comment.user.login}` };
    return {
      kind: 'comment',
      provider: 'github',
      repo: p.repository.full_name,
      pr: p.issue.number,
      commentId: p.comment.id,
      author: p.comment.user.login,
      body: p.comment.body ?? '',
    };
  }
}
