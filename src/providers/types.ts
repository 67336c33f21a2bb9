import { DriftlessError } from '../errors.js';
import type { GitCredentials } from '../model/git.js';
import type { PermissionLevel } from '../model/permission.js';
import type { StatusState } from '../model/status.js';

/** What every Git host offers Driftless. Nothing outside providers/ talks to a host's API. */
export interface GitProvider {
  /** Posts a commit status; `repo` is the provider path (`acme/shop`, `group/sub/project`). */
  setStatus(repo: string, status: { sha: string; context: string; state: StatusState; description: string; targetUrl?: string }): Promise<void>;
  /** HTTPS clone URL of a repository (GitLab looks numeric project ids up). */
  cloneUrl(repo: string): Promise<string>;
  /**
   * Credentials for cloning `repo` over HTTPS, when the provider has any: the configured token,
   * or a GitHub App's installation token for the repository (fresh for at least a few minutes).
   */
  gitCredentials(repo: string): Promise<GitCredentials | undefined>;

  /**
   * Whether it has credentials to write (a token, or a GitHub App). Without them the host refuses
   * every status, comment and deployment, so reports are skipped rather than sent and retried;
   * the client still serves clone URLs of public repositories.
   */
  readonly canReport: boolean;
  /** Largest comment body the host accepts, in characters. */
  readonly commentLimit: number;
  /** How the host links a pull/merge request in markdown: `#12` on GitHub, `!12` on GitLab. */
  readonly pullRequestPrefix: '#' | '!';
  /** Creates the pull request comment that contains `marker`, or edits ours in place. */
  upsertPullRequestComment(repo: string, pr: number, marker: string, body: string): Promise<void>;
  /** Posts a new comment on the pull request (answers to commands). */
  replyToPullRequest(repo: string, pr: number, body: string): Promise<void>;
  /** Acknowledges a command comment at once, with a reaction (GitHub 👀, GitLab award emoji). */
  acknowledgeComment(repo: string, pr: number, commentId: number): Promise<void>;
  /**
   * The user's permission on the repository in GitHub's words; GitLab access levels map to them
   * (guest → read, reporter → triage, developer → write, maintainer → maintain, owner → admin).
   */
  permission(repo: string, user: string): Promise<PermissionLevel | 'none'>;
  /** The pull request as it is now (head commit, base branch, fork or not). */
  pullRequest(repo: string, pr: number): Promise<PullRequestInfo>;
  /**
   * Records a deployment of `sha` to the target's environment (GitHub Deployments API, GitLab
   * environments), moving it through queued → in_progress → success | failure; a new success
   * makes the environment's previous deployment inactive.
   */
  recordDeployment(repo: string, deployment: { environment: string; sha: string; ref: string; state: DeploymentState; description?: string }): Promise<void>;
  /** Check runs, when the host has them for these credentials (a GitHub App); commit statuses otherwise. */
  readonly checks?: CheckRunWriter;
}

export type DeploymentState = 'queued' | 'in_progress' | 'success' | 'failure';

/** A line range of a file that a check run's annotation points at (GitHub's check run annotation). */
export interface CheckAnnotation {
  /** Path relative to the repository root. */
  path: string;
  startLine: number;
  endLine: number;
  level: 'notice' | 'warning' | 'failure';
  title: string;
  message: string;
}

/**
 * One state of a named check run on a commit (GitHub Checks: queued → in_progress → completed
 * with a conclusion), with what it shows: title, Markdown summary and text, annotations.
 */
export interface CheckRunUpdate {
  /** `driftless/<target>` or `driftless/<target>/diff`: one check run per name and commit. */
  name: string;
  sha: string;
  status: 'queued' | 'in_progress' | 'completed';
  conclusion?: 'success' | 'failure' | 'neutral';
  /**
   * Which run of the check this state belongs to (its `external_id`), when each run is its own (a
   * preview per delivery): a late earlier state of a completed run is then dropped, never a new run.
   */
  runId?: string;
  output: { title: string; summary: string; text?: string; annotations?: CheckAnnotation[] };
}

/** Hosts that have check runs (GitHub, as an App): what the report worker writes instead of commit statuses. */
export interface CheckRunWriter {
  /** Moves our check run `name` on `sha` to this state, creating it when there is none to move. */
  upsertCheckRun(repo: string, run: CheckRunUpdate): Promise<void>;
}

/** A pull/merge request as the host reports it now. */
export interface PullRequestInfo {
  number: number;
  state: 'open' | 'closed' | 'merged';
  head: { sha: string; ref: string };
  base: { ref: string };
  /** The head lives in another repository than the base. */
  fork: boolean;
  author: string;
}

/** A push, as every provider's payload turns into it. */
export interface PushEvent {
  kind: 'push';
  provider: 'github' | 'gitlab' | 'generic';
  /** Provider path of the repository, e.g. `acme/shop`; for the generic endpoint the full spec, `github:acme/shop`. */
  repo: string;
  /** The provider's numeric id of `repo`, when it has one (GitLab project id), as a string. */
  repoId?: string;
  ref: string;
  after: string;
  /** Files the push touched; undefined when the provider did not list them all. */
  changedPaths?: string[];
  actor: string;
  deleted: boolean;
}

/** A merge request or pull request changed in a way that matters to previews and deploys. */
export interface PullRequestEvent {
  kind: 'pull_request';
  provider: 'github' | 'gitlab';
  /** Provider path of the base (target) repository, e.g. `acme/platform/shop`. */
  repo: string;
  /** The provider's numeric id of `repo`, when it has one (GitLab project id), as a string. */
  repoId?: string;
  /** `updated` means new commits (or a new base branch), not a title or label edit. */
  action: 'opened' | 'reopened' | 'updated' | 'closed' | 'merged';
  /** Pull request number on GitHub, merge request iid on GitLab. */
  number: number;
  /** `sha` is empty only when a closed or merged request no longer knows its head commit. */
  head: { sha: string; ref: string };
  base: { ref: string };
  /** The head lives in another repository than the base. */
  fork: boolean;
  actor: string;
  /** For a merged pull request: the commit the merge made on the base branch. */
  mergeCommitSha?: string;
}

/** A new comment on a pull request or merge request, the carrier of `/deploy` and friends. */
export interface CommentEvent {
  kind: 'comment';
  provider: 'github' | 'gitlab';
  /** Provider path of the repository, e.g. `acme/platform/shop`. */
  repo: string;
  /** The provider's numeric id of `repo`, when it has one (GitLab project id), as a string. */
  repoId?: string;
  /** Pull request number on GitHub, merge request iid on GitLab. */
  pr: number;
  /** Id of the comment (GitLab note id), for the reaction that acknowledges it; absent for a Re-run of a check, which has no comment. */
  commentId?: number;
  /** Login (GitHub) or username (GitLab) of the comment's author. */
  author: string;
  body: string;
}

/** A webhook delivery after verification: an event to route, or a reason to ignore it. */
export type ReceivedEvent = { kind: 'ignored'; reason: string } | PushEvent | PullRequestEvent | CommentEvent;

/**
 * Checks one delivery's credentials while its body is read: the receiver looks at the headers
 * first (see `WebhookReceiver.authenticate`), then every chunk of the body goes through `update`
 * as it arrives, and `finish` decides once the last one has.
 */
export interface BodyVerifier {
  /**
   * Whether the headers alone proved the sender (GitLab's secret token): its body is then not
   * counted as unauthenticated bytes. False when only a signature over the body can tell.
   */
  readonly authenticated: boolean;
  /** Feeds the next chunk of the raw body into the signature. */
  update(chunk: Buffer): void;
  /** Throws WebhookError(401) when the body does not match its signature. */
  finish(): void;
}

/** Verifies deliveries of one provider and turns them into neutral events. */
export interface WebhookReceiver {
  readonly provider: 'github' | 'gitlab' | 'generic';
  /** The delivery id the provider repeats on redelivery, for deduplication. */
  deliveryId(headers: Record<string, string | string[] | undefined>, rawBody: Buffer): string | undefined;
  /**
   * Everything the headers alone can decide, before a byte of the body is read: a missing or
   * malformed credential or a wrong secret token (WebhookError 401), a missing event header
   * (400). Returns the verifier the body is then fed through.
   */
  authenticate(headers: Record<string, string | string[] | undefined>): BodyVerifier;
  /** Parses a verified payload; throws WebhookError(400) on malformed JSON. */
  normalize(rawBody: Buffer, headers: Record<string, string | string[] | undefined>): ReceivedEvent;
}

/** A delivery rejected before anything was queued; `status` is the HTTP answer. */
export class WebhookError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'WebhookError';
  }
}

/**
 * A Git host's API refused or failed a call; 4xx other than rate limits will not succeed on retry.
 * `retryAt` (epoch ms): when a rate limit the host reported lifts, so a job can wait for it.
 */
export class ProviderError extends DriftlessError {
  override readonly permanent: boolean;
  readonly retryAt: number | undefined;
  constructor(
    readonly provider: string,
    readonly status: number | undefined,
    message: string,
    options?: { cause?: unknown; rateLimited?: boolean; retryAt?: number },
  ) {
    super(`${provider}: ${message}`, options);
    this.retryAt = options?.retryAt;
    // a rate limit (GitHub answers 403 with x-ratelimit-remaining: 0) lifts by itself: retried
    this.permanent = !options?.rateLimited && status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429;
  }
}
