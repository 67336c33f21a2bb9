import { createHash, createVerify, randomBytes, type KeyObject } from 'node:crypto';
import http from 'node:http';
import { OAuthServer } from './oauth-standin.js';
import { HttpError, listenOnLoopback, pageOf, RecordingServer, sameSecret, type Params, type RecordedRequest, type Route } from './recording-server.js';

export type { RecordedRequest } from './recording-server.js';

/**
 * A local stand-in for the GitHub REST API v3: the endpoints Driftless calls, with the real
 * response shapes and status codes, state in memory, every request recorded. Point the real
 * Octokit at `url`.
 */

const DOCS = 'https://docs.github.com/rest';

/** Options of GitHubStandIn.start. */
export interface GitHubStandInOptions {
  /** When set, requests need `Authorization: token <token>` or `Bearer <token>`. */
  token?: string;
  /** Login of the authenticated user (creator of statuses, author of comments). */
  login?: string;
  /**
   * The token is a GitHub App installation token: GET /user answers 403 "Resource not
   * accessible by integration", as on GitHub. Use with a `<app>[bot]` login.
   */
  installationToken?: boolean;
  /**
   * Act as GitHub for a GitHub App: App endpoints need an RS256 JWT signed with the key whose
   * public half is `publicKey` (iss = `appId`); installation access tokens are minted per
   * installation and expire after `tokenLifetimeSeconds` (GitHub: 3600); every other endpoint
   * takes an unexpired installation token (or `token`, when also set).
   */
  app?: GitHubAppStandIn;
  /** Serve the API under `/api/v3`, as GitHub Enterprise Server does; other paths answer 404. */
  enterprise?: boolean;
}

/** The App the stand-in plays GitHub for. */
export interface GitHubAppStandIn {
  appId: number;
  slug: string;
  publicKey: KeyObject;
  /** Installation id per repository full name (`acme/shop`); others answer 404. */
  installations: Record<string, number>;
  tokenLifetimeSeconds?: number;
}

/** An installation access token the stand-in minted. */
export interface MintedToken {
  token: string;
  installationId: number;
  expiresAt: number;
}

/** Roles as GitHub names them; `none` for a known user without access. */
export type RepoRole = 'read' | 'triage' | 'write' | 'maintain' | 'admin' | 'none';

export type CommitState = 'error' | 'failure' | 'pending' | 'success';

export type DeploymentState = 'error' | 'failure' | 'inactive' | 'in_progress' | 'queued' | 'pending' | 'success';

export interface GitHubUser {
  login: string;
  id: number;
  node_id: string;
  avatar_url: string;
  gravatar_id: string;
  url: string;
  html_url: string;
  type: 'User' | 'Bot' | 'Organization';
  site_admin: boolean;
}

export interface CommitStatus {
  url: string;
  avatar_url: string;
  id: number;
  node_id: string;
  state: CommitState;
  description: string | null;
  target_url: string | null;
  context: string;
  created_at: string;
  updated_at: string;
  creator: GitHubUser;
}

export interface IssueComment {
  id: number;
  node_id: string;
  url: string;
  html_url: string;
  issue_url: string;
  body: string;
  user: GitHubUser;
  created_at: string;
  updated_at: string;
  author_association: string;
  performed_via_github_app: null;
  /** Counts per reaction content, as GitHub embeds them. */
  reactions: { url: string; total_count: number } & Record<string, number | string>;
}

type StoredComment = Omit<IssueComment, 'reactions'> & { issue: number };

export interface Reaction {
  id: number;
  node_id: string;
  user: GitHubUser;
  content: string;
  created_at: string;
}

export interface Deployment {
  url: string;
  id: number;
  node_id: string;
  sha: string;
  ref: string;
  task: string;
  payload: unknown;
  original_environment: string;
  environment: string;
  description: string | null;
  creator: GitHubUser;
  created_at: string;
  updated_at: string;
  statuses_url: string;
  repository_url: string;
  transient_environment: boolean;
  production_environment: boolean;
  performed_via_github_app: null;
}

export interface DeploymentStatus {
  url: string;
  id: number;
  node_id: string;
  state: DeploymentState;
  creator: GitHubUser;
  description: string;
  environment: string;
  target_url: string;
  log_url: string;
  environment_url: string;
  created_at: string;
  updated_at: string;
  deployment_url: string;
  repository_url: string;
  performed_via_github_app: null;
}

/** A changed file of a pull request, as given to setPull; defaults fill the rest. */
export interface PullFileInput {
  filename: string;
  status?: 'added' | 'removed' | 'modified' | 'renamed' | 'copied' | 'changed' | 'unchanged';
  additions?: number;
  deletions?: number;
  patch?: string;
  previous_filename?: string;
}

/** A pull request as a test describes it to setPull. */
export interface PullInput {
  number: number;
  title?: string;
  body?: string | null;
  state?: 'open' | 'closed';
  merged?: boolean;
  draft?: boolean;
  /** Login of the author. */
  user?: string;
  /** `repo` is the head repository's full name; a different one than the base makes a fork PR. */
  head: { ref: string; sha: string; repo?: string };
  base: { ref: string; sha?: string };
  merge_commit_sha?: string | null;
  files?: (string | PullFileInput)[];
}

interface RepoState {
  owner: string;
  name: string;
  statuses: Map<string, CommitStatus[]>;
  comments: Map<number, StoredComment>;
  reactions: Map<number, Reaction[]>;
  permissions: Map<string, { login: string; role: RepoRole; customRole?: string }>;
  pulls: Map<number, PullInput>;
  refs: Map<string, string>;
  deployments: Map<number, Deployment>;
  deploymentStatuses: Map<number, DeploymentStatus[]>;
  checkRuns: Map<number, CheckRun>;
}

/** An annotation on a check run, as GitHub stores it. */
export interface CheckAnnotation {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: 'notice' | 'warning' | 'failure';
  message: string;
  title?: string;
  raw_details?: string;
}

/** A check run as GitHub answers it, with the annotations it holds. */
export interface CheckRun {
  id: number;
  node_id: string;
  head_sha: string;
  external_id: string;
  url: string;
  html_url: string;
  details_url: string | null;
  name: string;
  status: string;
  conclusion: string | null;
  started_at: string | null;
  completed_at: string | null;
  output: { title: string | null; summary: string | null; text: string | null; annotations_count: number; annotations_url: string };
  check_suite: { id: number };
  app: { id: number; slug: string; name: string };
  pull_requests: unknown[];
  /** Every state the run was in, oldest first (the stand-in's record, not GitHub's). */
  history: { status: string; conclusion: string | null; title: string | null }[];
  annotations: CheckAnnotation[];
}

const notFound = (): HttpError => new HttpError(404, { message: 'Not Found', documentation_url: DOCS });

const validationFailed = (resource: string, field: string, code: string, message?: string): HttpError =>
  new HttpError(422, {
    message: 'Validation Failed',
    errors: [{ resource, field, code, ...(message === undefined ? {} : { message }) }],
    documentation_url: DOCS,
  });

const COMMIT_STATES: readonly string[] = ['error', 'failure', 'pending', 'success'];
const DEPLOYMENT_STATES: readonly string[] = ['error', 'failure', 'inactive', 'in_progress', 'queued', 'pending', 'success'];
const REACTIONS: readonly string[] = ['+1', '-1', 'laugh', 'confused', 'heart', 'hooray', 'rocket', 'eyes'];
const ROLE_PERMISSION: Record<RepoRole, 'admin' | 'write' | 'read' | 'none'> = {
  admin: 'admin',
  maintain: 'write',
  write: 'write',
  triage: 'read',
  read: 'read',
  none: 'none',
};

/** GitHub timestamps have no milliseconds. */
const now = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

const nodeId = (type: string, id: number): string => Buffer.from(`0:${type}${id}`).toString('base64');

const isSha = (value: string): boolean => /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i.test(value);

interface Context {
  params: Params;
  query: Record<string, string>;
  body: Record<string, unknown>;
  repo: RepoState;
  fullName: string;
}

/** Reads `key` of a JSON body as a string (or null/undefined), else 422 like GitHub. */
function optionalString(body: Record<string, unknown>, key: string, resource: string): string | null | undefined {
  const value = body[key];
  if (value === undefined || value === null || typeof value === 'string') return value;
  throw validationFailed(resource, key, 'invalid', `${key} is not a string`);
}

export class GitHubStandIn extends RecordingServer {
  private readonly repos = new Map<string, RepoState>();
  private readonly users = new Map<string, GitHubUser>();
  private readonly routes: Route<Context>[] = [];
  /** Stable ids for repositories and pull requests, which are described without one. */
  private readonly repoIds = new Map<string, number>();
  private readonly pullIds = new Map<string, number>();
  private nextId = 1_000_001;
  private readonly login: string;
  /** Installation access tokens minted so far, oldest first. */
  readonly tokens: MintedToken[] = [];
  /**
   * GitHub's web flow for OAuth Apps (https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps):
   * `GET /login/oauth/authorize`, `POST /login/oauth/access_token`; its tokens are users' for `GET /user`.
   */
  readonly oauth = new OAuthServer('gho_');
  private readonly limits: ({ method: string; path: RegExp; until: number } & Parameters<GitHubStandIn['rateLimit']>[2])[] = [];

  private constructor(
    server: http.Server,
    /** Base URL to give Octokit as `baseUrl`, e.g. http://127.0.0.1:40123 */
    url: string,
    private readonly token: string | undefined,
    login: string,
    private readonly installationToken: boolean,
    private readonly app: GitHubAppStandIn | undefined,
    private readonly enterprise: boolean,
  ) {
    super(server, url);
    this.login = login;
    this.defineRoutes();
  }

  static async start(options: GitHubStandInOptions = {}): Promise<GitHubStandIn> {
    const { server, url } = await listenOnLoopback();
    const login = options.login ?? (options.app ? `${options.app.slug}[bot]` : 'driftless[bot]');
    return new GitHubStandIn(server, url, options.token, login, options.installationToken ?? options.app !== undefined, options.app, options.enterprise ?? false);
  }

  /**
   * Gives `user` a role on `owner/repo`; GitHub maps maintain→write and triage→read. With
   * `customRole`, `role` is the base role of a custom repository role of that name.
   */
  setPermission(fullName: string, user: string, role: RepoRole, customRole?: string): void {
    this.user(user);
    this.repo(fullName).permissions.set(user.toLowerCase(), { login: user, role, ...(customRole === undefined ? {} : { customRole }) });
  }

  /** Defines (or replaces) a pull request of `owner/repo`; its head and base refs become known refs. */
  setPull(fullName: string, pull: PullInput): void {
    const repo = this.repo(fullName);
    repo.pulls.set(pull.number, structuredClone(pull));
    if (pull.head.repo === undefined || pull.head.repo.toLowerCase() === fullName.toLowerCase()) {
      repo.refs.set(pull.head.ref, pull.head.sha.toLowerCase());
    }
    if (pull.base.sha !== undefined) repo.refs.set(pull.base.ref, pull.base.sha.toLowerCase());
  }

  /** Points a branch or tag name at a sha, for deployments and status reads by ref. */
  setRef(fullName: string, ref: string, sha: string): void {
    this.repo(fullName).refs.set(ref.replace(/^refs\/(?:heads|tags)\//, ''), sha.toLowerCase());
  }

  /** Adds a comment by another user (e.g. a `/deploy` command), as if made on GitHub. */
  addComment(fullName: string, issue: number, body: string, login: string): IssueComment {
    return this.createComment(this.repo(fullName), fullName, issue, body, login);
  }

  /**
   * Requests with this method and a matching path hit a rate limit until it lifts, answered as
   * GitHub does (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit):
   * `primary`: 403 "API rate limit exceeded ..." with `x-ratelimit-remaining: 0` and
   * `x-ratelimit-reset` (epoch seconds), until that second; `secondary`: `status` (403 or 429)
   * "You have exceeded a secondary rate limit ..." with `retry-after`, for that many seconds.
   */
  rateLimit(method: string, path: RegExp, limit: { kind: 'primary'; resetInSeconds: number } | { kind: 'secondary'; retryAfterSeconds: number; status?: 403 | 429 }): void {
    const until = limit.kind === 'primary' ? (Math.floor(Date.now() / 1000) + limit.resetInSeconds) * 1000 : Date.now() + limit.retryAfterSeconds * 1000;
    this.limits.push({ method: method.toUpperCase(), path, until, ...limit });
  }

  /** Whether `password` is an installation token this stand-in minted that has not expired (for the git server). */
  acceptsToken(password: string): boolean {
    return this.tokens.some((t) => sameSecret(t.token, password) && Date.now() < t.expiresAt);
  }

  /** Makes every minted token expire now, as a revoked token would. */
  expireTokens(): void {
    for (const t of this.tokens) t.expiresAt = Math.min(t.expiresAt, Date.now());
  }

  /** Check runs on a sha, oldest first. */
  checkRuns(fullName: string, sha: string): CheckRun[] {
    return [...this.repo(fullName).checkRuns.values()].filter((r) => r.head_sha === sha.toLowerCase());
  }

  /** Commit statuses of a sha, newest first. */
  statuses(fullName: string, sha: string): CommitStatus[] {
    return [...(this.repo(fullName).statuses.get(sha.toLowerCase()) ?? [])].reverse();
  }

  /** Comments of an issue or pull request, oldest first. */
  comments(fullName: string, issue: number): IssueComment[] {
    const repo = this.repo(fullName);
    return [...repo.comments.values()].filter((c) => c.issue === issue).map((c) => this.commentView(repo, c));
  }

  /** Reactions on an issue comment. */
  reactions(fullName: string, commentId: number): Reaction[] {
    return [...(this.repo(fullName).reactions.get(commentId) ?? [])];
  }

  /** Deployments of a repository, newest first. */
  deployments(fullName: string): Deployment[] {
    return [...this.repo(fullName).deployments.values()].reverse();
  }

  /** Statuses of a deployment, newest first. */
  deploymentStatuses(fullName: string, deploymentId: number): DeploymentStatus[] {
    return [...(this.repo(fullName).deploymentStatuses.get(deploymentId) ?? [])].reverse();
  }

  private id(): number {
    return this.nextId++;
  }

  private user(login: string): GitHubUser {
    const key = login.toLowerCase();
    let user = this.users.get(key);
    if (!user) {
      const id = this.id();
      user = {
        login,
        id,
        node_id: nodeId('User', id),
        avatar_url: `${this.url}/avatars/u/${id}?v=4`,
        gravatar_id: '',
        url: `${this.url}/users/${encodeURIComponent(login)}`,
        html_url: `${this.url}/${encodeURIComponent(login)}`,
        type: login.endsWith('[bot]') ? 'Bot' : 'User',
        site_admin: false,
      };
      this.users.set(key, user);
    }
    return user;
  }

  private repo(fullName: string): RepoState {
    const key = fullName.toLowerCase();
    let repo = this.repos.get(key);
    if (!repo) {
      const [owner, name, ...rest] = fullName.split('/');
      if (!owner || !name || rest.length > 0) throw new Error(`GitHubStandIn: expected owner/repo, got ${fullName}`);
      repo = {
        owner,
        name,
        statuses: new Map(),
        comments: new Map(),
        reactions: new Map(),
        permissions: new Map(),
        pulls: new Map(),
        refs: new Map(),
        deployments: new Map(),
        deploymentStatuses: new Map(),
        checkRuns: new Map(),
      };
      this.repos.set(key, repo);
    }
    return repo;
  }

  private repoUrl(repo: RepoState): string {
    return `${this.url}/repos/${repo.owner}/${repo.name}`;
  }

  private repoView(fullName: string, fork = false): Record<string, unknown> {
    const repo = this.repo(fullName);
    const id = this.repoIds.get(fullName.toLowerCase()) ?? this.id();
    this.repoIds.set(fullName.toLowerCase(), id);
    return {
      id,
      node_id: nodeId('Repository', id),
      name: repo.name,
      full_name: `${repo.owner}/${repo.name}`,
      private: false,
      owner: this.user(repo.owner),
      html_url: `${this.url}/${repo.owner}/${repo.name}`,
      description: null,
      fork,
      url: this.repoUrl(repo),
      default_branch: 'main',
      visibility: 'public',
    };
  }

  /** A ref (sha, branch or tag name, refs/heads/...) as a sha, if known. */
  private resolveRef(repo: RepoState, ref: string): string | undefined {
    if (isSha(ref)) return ref.toLowerCase();
    return repo.refs.get(ref.replace(/^refs\/(?:heads|tags)\//, ''));
  }

  private latestByContext(repo: RepoState, sha: string): CommitStatus[] {
    const latest = new Map<string, CommitStatus>();
    for (const status of repo.statuses.get(sha) ?? []) latest.set(status.context, status);
    return [...latest.values()];
  }

  private createComment(repo: RepoState, fullName: string, issue: number, body: string, login: string): IssueComment {
    const id = this.id();
    const at = now();
    const permission = repo.permissions.get(login.toLowerCase());
    const comment: StoredComment = {
      id,
      node_id: nodeId('IssueComment', id),
      url: `${this.repoUrl(repo)}/issues/comments/${id}`,
      html_url: `${this.url}/${fullName}/pull/${issue}#issuecomment-${id}`,
      issue_url: `${this.repoUrl(repo)}/issues/${issue}`,
      body,
      user: this.user(login),
      created_at: at,
      updated_at: at,
      author_association:
        login.toLowerCase() === repo.owner.toLowerCase()
          ? 'OWNER'
          : permission && permission.role !== 'none'
            ? 'COLLABORATOR'
            : 'NONE',
      performed_via_github_app: null,
      issue,
    };
    repo.comments.set(id, comment);
    return this.commentView(repo, comment);
  }

  private commentView(repo: RepoState, comment: StoredComment): IssueComment {
    const { issue: _issue, ...view } = comment;
    const reactions = repo.reactions.get(comment.id) ?? [];
    const count = (content: string): number => reactions.filter((r) => r.content === content).length;
    return {
      ...view,
      reactions: {
        url: `${comment.url}/reactions`,
        total_count: reactions.length,
        ...Object.fromEntries(REACTIONS.map((content) => [content, count(content)])),
      },
    };
  }

  /** Slices a list by per_page/page and builds the Link header the way GitHub does. */
  private page<T>(
    items: T[],
    query: Record<string, string>,
    path: string,
  ): { status: number; body: T[]; headers: Record<string, string> } {
    const { perPage, page, pages: last, slice } = pageOf(items, query, 30);
    const link = (n: number, rel: string): string => {
      const params = new URLSearchParams({ ...query, per_page: String(perPage), page: String(n) });
      return `<${this.url}${path}?${params.toString()}>; rel="${rel}"`;
    };
    const links: string[] = [];
    if (page > 1) links.push(link(page - 1, 'prev'));
    if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
    if (page > 1) links.push(link(1, 'first'));
    return {
      status: 200,
      body: slice,
      headers: links.length > 0 ? { link: links.join(', ') } : {},
    };
  }

  private defineRoutes(): void {
    const R = '/repos/(?<owner>[^/]+)/(?<repo>[^/]+)';
    const add = (method: string, path: string, handler: Route<Context>['handler']): void => {
      this.routes.push({ method, pattern: new RegExp(`^${R}${path}/?$`), handler });
    };

    add('POST', '/statuses/(?<sha>[^/]+)', ({ params, body, repo }) => {
      const sha = params.sha ?? '';
      if (!isSha(sha)) throw new HttpError(422, { message: `No commit found for SHA: ${sha}`, documentation_url: DOCS });
      const state = body.state;
      if (typeof state !== 'string' || !COMMIT_STATES.includes(state)) {
        throw validationFailed('Status', 'state', 'custom', 'state is not included in the list');
      }
      const description = optionalString(body, 'description', 'Status') ?? null;
      if (description !== null && description.length > 140) {
        throw validationFailed('Status', 'description', 'custom', 'description is too long (maximum is 140 characters)');
      }
      const id = this.id();
      const at = now();
      const creator = this.user(this.login);
      const status: CommitStatus = {
        url: `${this.repoUrl(repo)}/statuses/${sha.toLowerCase()}`,
        avatar_url: creator.avatar_url,
        id,
        node_id: nodeId('StatusContext', id),
        state: state as CommitState,
        description,
        target_url: optionalString(body, 'target_url', 'Status') ?? null,
        context: optionalString(body, 'context', 'Status') ?? 'default',
        created_at: at,
        updated_at: at,
        creator,
      };
      const list = repo.statuses.get(sha.toLowerCase()) ?? [];
      list.push(status);
      repo.statuses.set(sha.toLowerCase(), list);
      return { status: 201, body: status };
    });

    // https://docs.github.com/en/rest/checks/runs: only a GitHub App may write check runs
    const checkRunStates = ['queued', 'in_progress', 'completed', 'waiting', 'requested', 'pending'];
    const conclusions = ['action_required', 'cancelled', 'failure', 'neutral', 'success', 'skipped', 'stale', 'timed_out'];
    const applyCheckRun = (run: CheckRun, body: Record<string, unknown>, repo: RepoState): void => {
      if (body.status !== undefined) {
        if (typeof body.status !== 'string' || !checkRunStates.includes(body.status)) throw validationFailed('CheckRun', 'status', 'invalid');
        run.status = body.status;
      }
      if (body.conclusion !== undefined && body.conclusion !== null) {
        if (typeof body.conclusion !== 'string' || !conclusions.includes(body.conclusion)) throw validationFailed('CheckRun', 'conclusion', 'invalid');
        run.conclusion = body.conclusion;
        run.status = 'completed';
      }
      if (run.status === 'completed' && run.conclusion === null) throw new HttpError(422, { message: 'Invalid request.\n\n"conclusion" wasn\'t supplied.', documentation_url: `${DOCS}/checks/runs` });
      if (run.status === 'completed') run.completed_at ??= now();
      if (run.status === 'in_progress') run.started_at ??= now();
      const output = body.output as Record<string, unknown> | undefined;
      if (output !== undefined) {
        if (typeof output.title !== 'string' || typeof output.summary !== 'string') throw new HttpError(422, { message: 'Invalid request.\n\nNo subschema in "anyOf" matched.\n"title", "summary" weren\'t supplied.', documentation_url: `${DOCS}/checks/runs` });
        for (const field of ['summary', 'text'] as const) {
          const value = output[field];
          if (typeof value === 'string' && value.length > 65535) throw validationFailed('CheckRun', `output.${field}`, 'custom', `output.${field} is too long (maximum is 65535 characters)`);
        }
        const annotations = (output.annotations ?? []) as CheckAnnotation[];
        if (!Array.isArray(annotations) || annotations.length > 50) throw validationFailed('CheckRun', 'output.annotations', 'custom', 'Only 50 annotations are allowed per request');
        for (const a of annotations) {
          if (typeof a.path !== 'string' || !Number.isInteger(a.start_line) || !Number.isInteger(a.end_line) || !['notice', 'warning', 'failure'].includes(a.annotation_level) || typeof a.message !== 'string') {
            throw validationFailed('CheckRun', 'output.annotations', 'invalid');
          }
        }
        run.output.title = output.title;
        run.output.summary = output.summary;
        if (typeof output.text === 'string') run.output.text = output.text;
        // as on GitHub, each update appends its annotations
        run.annotations.push(...annotations);
        run.output.annotations_count = run.annotations.length;
      }
      if (typeof body.external_id === 'string') run.external_id = body.external_id;
      if (typeof body.details_url === 'string') run.details_url = body.details_url;
      run.history.push({ status: run.status, conclusion: run.conclusion, title: run.output.title });
      repo.checkRuns.set(run.id, run);
    };

    add('POST', '/check-runs', ({ body, repo }) => {
      if (!this.app) throw new HttpError(403, { message: 'You must authenticate via a GitHub App.', documentation_url: `${DOCS}/checks/runs#create-a-check-run` });
      const name = optionalString(body, 'name', 'CheckRun');
      const sha = optionalString(body, 'head_sha', 'CheckRun');
      if (!name) throw validationFailed('CheckRun', 'name', 'missing_field');
      if (!sha || !isSha(sha)) throw validationFailed('CheckRun', 'head_sha', 'invalid');
      const id = this.id();
      const run: CheckRun = {
        id,
        node_id: nodeId('CheckRun', id),
        head_sha: sha.toLowerCase(),
        external_id: '',
        url: `${this.repoUrl(repo)}/check-runs/${id}`,
        html_url: `${this.url}/${repo.owner}/${repo.name}/runs/${id}`,
        details_url: null,
        name,
        status: 'queued',
        conclusion: null,
        started_at: null,
        completed_at: null,
        output: { title: null, summary: null, text: null, annotations_count: 0, annotations_url: `${this.repoUrl(repo)}/check-runs/${id}/annotations` },
        check_suite: { id: this.id() },
        app: { id: this.app.appId, slug: this.app.slug, name: this.app.slug },
        pull_requests: [],
        history: [],
        annotations: [],
      };
      applyCheckRun(run, body, repo);
      return { status: 201, body: this.checkRunView(run) };
    });

    add('PATCH', '/check-runs/(?<id>\\d+)', ({ params, body, repo }) => {
      const run = repo.checkRuns.get(Number(params.id));
      if (!run) throw notFound();
      applyCheckRun(run, body, repo);
      return { status: 200, body: this.checkRunView(run) };
    });

    add('GET', '/check-runs/(?<id>\\d+)/annotations', ({ params, query, repo }) => {
      const run = repo.checkRuns.get(Number(params.id));
      if (!run) throw notFound();
      return this.page(run.annotations.map((a) => ({ ...a, blob_href: `${this.url}/${repo.owner}/${repo.name}/blob/${run.head_sha}/${a.path}`, start_column: null, end_column: null })), query, `/repos/${repo.owner}/${repo.name}/check-runs/${run.id}/annotations`);
    });

    add('GET', '/commits/(?<ref>[^/]+)/check-runs', ({ params, query, repo }) => {
      const sha = this.resolveRef(repo, params.ref ?? '');
      if (sha === undefined) throw notFound();
      let runs = [...repo.checkRuns.values()].filter((r) => r.head_sha === sha && (query.check_name === undefined || r.name === query.check_name)).reverse();
      // filter=latest (the default): the newest run of each name
      if (query.filter !== 'all') runs = runs.filter((r, i) => runs.findIndex((o) => o.name === r.name) === i);
      const paged = this.page(runs.map((r) => this.checkRunView(r)), query, `/repos/${repo.owner}/${repo.name}/commits/${params.ref}/check-runs`);
      return { status: 200, headers: paged.headers, body: { total_count: runs.length, check_runs: paged.body } };
    });

    add('GET', '/commits/(?<ref>.+)/statuses', ({ params, query, repo }) => {
      const sha = this.resolveRef(repo, params.ref ?? '');
      if (sha === undefined) throw notFound();
      const list = [...(repo.statuses.get(sha) ?? [])].reverse();
      return this.page(list, query, `/repos/${repo.owner}/${repo.name}/commits/${params.ref}/statuses`);
    });

    add('GET', '/commits/(?<ref>.+)/status', ({ params, query, repo, fullName }) => {
      const sha = this.resolveRef(repo, params.ref ?? '');
      if (sha === undefined) throw notFound();
      const latest = this.latestByContext(repo, sha);
      const states = latest.map((s) => s.state);
      const state =
        states.includes('error') || states.includes('failure')
          ? 'failure'
          : states.length === 0 || states.includes('pending')
            ? 'pending'
            : 'success';
      const paged = this.page(latest, query, `/repos/${repo.owner}/${repo.name}/commits/${params.ref}/status`);
      return {
        status: 200,
        headers: paged.headers,
        body: {
          state,
          statuses: paged.body,
          sha,
          total_count: latest.length,
          repository: this.repoView(fullName),
          commit_url: `${this.repoUrl(repo)}/commits/${sha}`,
          url: `${this.repoUrl(repo)}/commits/${sha}/status`,
        },
      };
    });

    add('GET', '/issues/(?<issue>\\d+)/comments', ({ params, query, repo }) => {
      const issue = Number(params.issue);
      const list = [...repo.comments.values()].filter((c) => c.issue === issue).map((c) => this.commentView(repo, c));
      return this.page(list, query, `/repos/${repo.owner}/${repo.name}/issues/${issue}/comments`);
    });

    add('POST', '/issues/(?<issue>\\d+)/comments', ({ params, body, repo, fullName }) => {
      const text = optionalString(body, 'body', 'IssueComment');
      if (text === undefined || text === null) throw validationFailed('IssueComment', 'body', 'missing_field');
      if (text.length > 65536) {
        throw validationFailed('IssueComment', 'body', 'custom', 'body is too long (maximum is 65536 characters)');
      }
      return { status: 201, body: this.createComment(repo, fullName, Number(params.issue), text, this.login) };
    });

    add('GET', '/issues/comments/(?<id>\\d+)', ({ params, repo }) => {
      const comment = repo.comments.get(Number(params.id));
      if (!comment) throw notFound();
      return { status: 200, body: this.commentView(repo, comment) };
    });

    add('PATCH', '/issues/comments/(?<id>\\d+)', ({ params, body, repo }) => {
      const comment = repo.comments.get(Number(params.id));
      if (!comment) throw notFound();
      const text = optionalString(body, 'body', 'IssueComment');
      if (text === undefined || text === null) throw validationFailed('IssueComment', 'body', 'missing_field');
      if (text.length > 65536) {
        throw validationFailed('IssueComment', 'body', 'custom', 'body is too long (maximum is 65536 characters)');
      }
      comment.body = text;
      comment.updated_at = now();
      return { status: 200, body: this.commentView(repo, comment) };
    });

    add('GET', '/issues/comments/(?<id>\\d+)/reactions', ({ params, query, repo }) => {
      const id = Number(params.id);
      if (!repo.comments.has(id)) throw notFound();
      const list = (repo.reactions.get(id) ?? []).filter((r) => query.content === undefined || r.content === query.content);
      return this.page(list, query, `/repos/${repo.owner}/${repo.name}/issues/comments/${id}/reactions`);
    });

    add('POST', '/issues/comments/(?<id>\\d+)/reactions', ({ params, body, repo }) => {
      const id = Number(params.id);
      if (!repo.comments.has(id)) throw notFound();
      const content = body.content;
      if (typeof content !== 'string' || !REACTIONS.includes(content)) {
        throw validationFailed('Reaction', 'content', 'invalid');
      }
      const list = repo.reactions.get(id) ?? [];
      // the same reaction by the same user is not duplicated: GitHub answers 200 with the existing one
      const existing = list.find((r) => r.content === content && r.user.login === this.login);
      if (existing) return { status: 200, body: existing };
      const reactionId = this.id();
      const reaction: Reaction = {
        id: reactionId,
        node_id: nodeId('Reaction', reactionId),
        user: this.user(this.login),
        content,
        created_at: now(),
      };
      list.push(reaction);
      repo.reactions.set(id, list);
      return { status: 201, body: reaction };
    });

    add('GET', '/collaborators/(?<user>[^/]+)/permission', ({ params, repo }) => {
      const entry = repo.permissions.get((params.user ?? '').toLowerCase());
      if (!entry) throw notFound();
      const permission = ROLE_PERMISSION[entry.role];
      // a custom role keeps its own name; permission and permissions follow its base role
      const roleName = entry.customRole ?? entry.role;
      const at = (roles: RepoRole[]): boolean => roles.includes(entry.role);
      return {
        status: 200,
        body: {
          permission,
          role_name: roleName,
          user: {
            ...this.user(entry.login),
            permissions: {
              admin: at(['admin']),
              maintain: at(['admin', 'maintain']),
              push: at(['admin', 'maintain', 'write']),
              triage: at(['admin', 'maintain', 'write', 'triage']),
              pull: at(['admin', 'maintain', 'write', 'triage', 'read']),
            },
            role_name: roleName,
          },
        },
      };
    });

    add('GET', '/pulls/(?<number>\\d+)', ({ params, fullName }) => ({
      status: 200,
      body: this.pullView(fullName, Number(params.number)),
    }));

    add('GET', '/pulls/(?<number>\\d+)/files', ({ params, query, repo, fullName }) => {
      const pull = repo.pulls.get(Number(params.number));
      if (!pull) throw notFound();
      const files = (pull.files ?? []).map((input) => {
        const file = typeof input === 'string' ? { filename: input } : input;
        const additions = file.additions ?? 1;
        const deletions = file.deletions ?? 0;
        const sha = createHash('sha1').update(`${pull.head.sha}:${file.filename}`).digest('hex');
        const encoded = file.filename.split('/').map(encodeURIComponent).join('/');
        return {
          sha,
          filename: file.filename,
          status: file.status ?? 'modified',
          additions,
          deletions,
          changes: additions + deletions,
          blob_url: `${this.url}/${fullName}/blob/${pull.head.sha}/${encoded}`,
          raw_url: `${this.url}/${fullName}/raw/${pull.head.sha}/${encoded}`,
          contents_url: `${this.repoUrl(repo)}/contents/${encoded}?ref=${pull.head.sha}`,
          ...(file.patch === undefined ? {} : { patch: file.patch }),
          ...(file.previous_filename === undefined ? {} : { previous_filename: file.previous_filename }),
        };
      });
      return this.page(files, query, `/repos/${repo.owner}/${repo.name}/pulls/${pull.number}/files`);
    });

    add('POST', '/deployments', ({ body, repo }) => {
      const ref = optionalString(body, 'ref', 'Deployment');
      if (ref === undefined || ref === null || ref === '') throw validationFailed('Deployment', 'ref', 'missing_field');
      const sha = this.resolveRef(repo, ref);
      if (sha === undefined) throw new HttpError(422, { message: `No ref found for: ${ref}`, documentation_url: DOCS });
      const environment = optionalString(body, 'environment', 'Deployment') ?? 'production';
      const required = body.required_contexts;
      if (required !== undefined && (!Array.isArray(required) || required.some((c) => typeof c !== 'string'))) {
        throw validationFailed('Deployment', 'required_contexts', 'invalid');
      }
      // as on GitHub: omitted required_contexts means every context on the commit must be green
      const latest = this.latestByContext(repo, sha);
      const contexts: string[] = (required as string[] | undefined) ?? latest.map((s) => s.context);
      const failing = contexts
        .map((context) => ({ context, state: latest.find((s) => s.context === context)?.state ?? 'missing' }))
        .filter((c) => c.state !== 'success');
      if (failing.length > 0) {
        throw new HttpError(409, {
          message: `Conflict: Commit status checks failed for ${ref}.`,
          errors: [{ contexts: failing, resource: 'Deployment', field: 'required_contexts' }],
          documentation_url: DOCS,
        });
      }
      const id = this.id();
      const at = now();
      const deployment: Deployment = {
        url: `${this.repoUrl(repo)}/deployments/${id}`,
        id,
        node_id: nodeId('Deployment', id),
        sha,
        ref,
        task: optionalString(body, 'task', 'Deployment') ?? 'deploy',
        payload: body.payload ?? {},
        original_environment: environment,
        environment,
        description: optionalString(body, 'description', 'Deployment') ?? null,
        creator: this.user(this.login),
        created_at: at,
        updated_at: at,
        statuses_url: `${this.repoUrl(repo)}/deployments/${id}/statuses`,
        repository_url: this.repoUrl(repo),
        transient_environment: body.transient_environment === true,
        production_environment:
          typeof body.production_environment === 'boolean' ? body.production_environment : environment === 'production',
        performed_via_github_app: null,
      };
      repo.deployments.set(id, deployment);
      return { status: 201, body: deployment };
    });

    add('GET', '/deployments', ({ query, repo }) => {
      const list = [...repo.deployments.values()]
        .reverse()
        .filter(
          (d) =>
            (query.sha === undefined || d.sha === query.sha.toLowerCase()) &&
            (query.ref === undefined || d.ref === query.ref) &&
            (query.task === undefined || d.task === query.task) &&
            (query.environment === undefined || d.environment === query.environment),
        );
      return this.page(list, query, `/repos/${repo.owner}/${repo.name}/deployments`);
    });

    add('GET', '/deployments/(?<id>\\d+)', ({ params, repo }) => {
      const deployment = repo.deployments.get(Number(params.id));
      if (!deployment) throw notFound();
      return { status: 200, body: deployment };
    });

    add('POST', '/deployments/(?<id>\\d+)/statuses', ({ params, body, repo }) => {
      const deployment = repo.deployments.get(Number(params.id));
      if (!deployment) throw notFound();
      const state = body.state;
      if (typeof state !== 'string' || !DEPLOYMENT_STATES.includes(state)) {
        throw validationFailed('DeploymentStatus', 'state', 'custom', 'state is not included in the list');
      }
      const description = optionalString(body, 'description', 'DeploymentStatus') ?? '';
      if (description.length > 140) {
        throw validationFailed('DeploymentStatus', 'description', 'custom', 'description is too long (maximum is 140 characters)');
      }
      const environment = optionalString(body, 'environment', 'DeploymentStatus');
      if (environment) deployment.environment = environment;
      const logUrl = optionalString(body, 'log_url', 'DeploymentStatus') ?? optionalString(body, 'target_url', 'DeploymentStatus') ?? '';
      const id = this.id();
      const at = now();
      const status: DeploymentStatus = {
        url: `${deployment.url}/statuses/${id}`,
        id,
        node_id: nodeId('DeploymentStatus', id),
        state: state as DeploymentState,
        creator: this.user(this.login),
        description,
        environment: deployment.environment,
        target_url: logUrl,
        log_url: logUrl,
        environment_url: optionalString(body, 'environment_url', 'DeploymentStatus') ?? '',
        created_at: at,
        updated_at: at,
        deployment_url: deployment.url,
        repository_url: this.repoUrl(repo),
        performed_via_github_app: null,
      };
      const list = repo.deploymentStatuses.get(deployment.id) ?? [];
      list.push(status);
      repo.deploymentStatuses.set(deployment.id, list);
      deployment.updated_at = at;
      if (state === 'success' && body.auto_inactive !== false) this.deactivateOthers(repo, deployment);
      return { status: 201, body: status };
    });

    add('GET', '/deployments/(?<id>\\d+)/statuses', ({ params, query, repo }) => {
      const id = Number(params.id);
      if (!repo.deployments.has(id)) throw notFound();
      const list = [...(repo.deploymentStatuses.get(id) ?? [])].reverse();
      return this.page(list, query, `/repos/${repo.owner}/${repo.name}/deployments/${id}/statuses`);
    });
  }

  /**
   * GitHub's auto_inactive: prior successful deployments to the same environment that are
   * neither transient nor production get an `inactive` status.
   */
  private deactivateOthers(repo: RepoState, current: Deployment): void {
    for (const other of repo.deployments.values()) {
      if (other.id === current.id || other.environment !== current.environment) continue;
      if (other.transient_environment || other.production_environment) continue;
      const list = repo.deploymentStatuses.get(other.id) ?? [];
      const last = list[list.length - 1];
      if (last?.state !== 'success') continue;
      const id = this.id();
      const at = now();
      list.push({
        ...last,
        url: `${other.url}/statuses/${id}`,
        id,
        node_id: nodeId('DeploymentStatus', id),
        state: 'inactive',
        description: '',
        created_at: at,
        updated_at: at,
      });
    }
  }

  private checkRunView(run: CheckRun): Record<string, unknown> {
    const { history: _history, annotations: _annotations, ...view } = run;
    return view;
  }

  private pullView(fullName: string, number: number): Record<string, unknown> {
    const repo = this.repo(fullName);
    const pull = repo.pulls.get(number);
    if (!pull) throw notFound();
    const base = `${this.repoUrl(repo)}`;
    const headRepoName = pull.head.repo ?? fullName;
    const fork = headRepoName.toLowerCase() !== fullName.toLowerCase();
    const headOwner = headRepoName.split('/')[0] ?? repo.owner;
    const id = this.pullIds.get(`${fullName.toLowerCase()}#${number}`) ?? this.id();
    this.pullIds.set(`${fullName.toLowerCase()}#${number}`, id);
    const merged = pull.merged ?? false;
    const state = pull.state ?? (merged ? 'closed' : 'open');
    const author = pull.user ?? 'octocat';
    const at = now();
    return {
      url: `${base}/pulls/${number}`,
      id,
      node_id: nodeId('PullRequest', id),
      html_url: `${this.url}/${fullName}/pull/${number}`,
      diff_url: `${this.url}/${fullName}/pull/${number}.diff`,
      patch_url: `${this.url}/${fullName}/pull/${number}.patch`,
      issue_url: `${base}/issues/${number}`,
      commits_url: `${base}/pulls/${number}/commits`,
      review_comments_url: `${base}/pulls/${number}/comments`,
      comments_url: `${base}/issues/${number}/comments`,
      statuses_url: `${base}/statuses/${pull.head.sha}`,
      number,
      state,
      locked: false,
      title: pull.title ?? `Pull request ${number}`,
      user: this.user(author),
      body: pull.body ?? null,
      labels: [],
      created_at: at,
      updated_at: at,
      closed_at: state === 'closed' ? at : null,
      merged_at: merged ? at : null,
      merge_commit_sha: pull.merge_commit_sha ?? null,
      draft: pull.draft ?? false,
      head: {
        label: `${headOwner}:${pull.head.ref}`,
        ref: pull.head.ref,
        sha: pull.head.sha,
        user: this.user(headOwner),
        repo: this.repoView(headRepoName, fork),
      },
      base: {
        label: `${repo.owner}:${pull.base.ref}`,
        ref: pull.base.ref,
        sha: pull.base.sha ?? this.resolveRef(repo, pull.base.ref) ?? '0'.repeat(40),
        user: this.user(repo.owner),
        repo: this.repoView(fullName),
      },
      author_association: 'CONTRIBUTOR',
      merged,
      mergeable: merged ? null : true,
      mergeable_state: merged ? 'unknown' : 'clean',
      merged_by: merged ? this.user(author) : null,
      comments: this.comments(fullName, number).length,
      commits: 1,
      additions: 0,
      deletions: 0,
      changed_files: pull.files?.length ?? 0,
    };
  }

  private authorized(header: string | undefined): boolean {
    if (this.token === undefined && !this.app) return true;
    const match = /^(?:token|bearer)\s+(\S+)\s*$/i.exec(header ?? '');
    if (!match?.[1]) return false;
    return (this.token !== undefined && sameSecret(match[1], this.token)) || this.acceptsToken(match[1]) || this.oauth.loginOf(match[1]) !== undefined;
  }

  /**
   * The App's JWT from `Authorization: Bearer <jwt>`, checked as GitHub does: RS256 signature by
   * the App's key, `iss` the App id, issued no later than 60 s ahead, not expired, at most 10
   * minutes long (https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app).
   * Returns the error answer, or undefined when the JWT is good.
   */
  private jwtProblem(header: string | undefined): { status: number; message: string } | undefined {
    const app = this.app!;
    const jwt = /^bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
    const [head, body, signature] = jwt?.split('.') ?? [];
    if (!head || !body || !signature) return { status: 401, message: 'A JSON web token could not be decoded' };
    let claims: { iss?: unknown; iat?: number; exp?: number };
    try {
      const header = JSON.parse(Buffer.from(head, 'base64url').toString('utf8')) as { alg?: string };
      if (header.alg !== 'RS256') return { status: 401, message: 'A JSON web token could not be decoded' };
      claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as typeof claims;
    } catch {
      return { status: 401, message: 'A JSON web token could not be decoded' };
    }
    if (!createVerify('RSA-SHA256').update(`${head}.${body}`).verify(app.publicKey, Buffer.from(signature, 'base64url'))) {
      return { status: 401, message: 'A JSON web token could not be decoded' };
    }
    const now = Math.floor(Date.now() / 1000);
    if (String(claims.iss) !== String(app.appId)) return { status: 401, message: `'Issuer' claim ('iss') must be an Integer` };
    if (typeof claims.iat !== 'number' || claims.iat > now + 60) return { status: 401, message: `'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued` };
    if (typeof claims.exp !== 'number' || claims.exp <= now) return { status: 401, message: `'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires` };
    if (claims.exp - claims.iat > 600) return { status: 401, message: `'Expiration time' claim ('exp') is too far in the future` };
    return undefined;
  }

  /** The App's own endpoints, which take its JWT; false when the path is not one. */
  private appRoute(entry: RecordedRequest, req: http.IncomingMessage, res: http.ServerResponse): boolean {
    const app = this.app;
    if (!app) return false;
    const installation = /^\/repos\/([^/]+)\/([^/]+)\/installation\/?$/.exec(entry.path);
    const tokens = /^\/app\/installations\/(\d+)\/access_tokens\/?$/.exec(entry.path);
    const isApp = entry.method === 'GET' && /^\/app\/?$/.test(entry.path);
    if (!installation && !tokens && !isApp) return false;
    const problem = this.jwtProblem(req.headers.authorization);
    if (problem) {
      this.send(res, problem.status, { message: problem.message, documentation_url: DOCS });
      return true;
    }
    const owner = this.user(app.slug.replace(/\[bot\]$/, ''));
    if (isApp) {
      this.send(res, 200, { id: app.appId, slug: app.slug, node_id: nodeId('App', app.appId), owner, name: app.slug, description: '', external_url: this.url, html_url: `${this.url}/apps/${app.slug}`, created_at: now(), updated_at: now(), permissions: {}, events: [] });
      return true;
    }
    if (installation && entry.method === 'GET') {
      const fullName = `${decodeURIComponent(installation[1]!)}/${decodeURIComponent(installation[2]!)}`;
      const id = Object.entries(app.installations).find(([repo]) => repo.toLowerCase() === fullName.toLowerCase())?.[1];
      if (id === undefined) this.send(res, 404, { message: 'Not Found', documentation_url: `${DOCS}/apps/apps#get-a-repository-installation-for-the-authenticated-app`, status: '404' });
      else this.send(res, 200, this.installationView(id));
      return true;
    }
    if (tokens && entry.method === 'POST') {
      const id = Number(tokens[1]);
      if (!Object.values(app.installations).includes(id)) {
        this.send(res, 404, { message: 'Not Found', documentation_url: `${DOCS}/apps/apps#create-an-installation-access-token-for-an-app` });
        return true;
      }
      const minted: MintedToken = { token: `ghs_${randomBytes(18).toString('base64url')}`, installationId: id, expiresAt: Date.now() + (app.tokenLifetimeSeconds ?? 3600) * 1000 };
      this.tokens.push(minted);
      this.send(res, 201, { token: minted.token, expires_at: new Date(minted.expiresAt).toISOString(), permissions: this.installationView(id).permissions, repository_selection: 'selected' });
      return true;
    }
    return false;
  }

  private installationView(id: number): Record<string, unknown> {
    const app = this.app!;
    return {
      id,
      account: this.user('acme'),
      repository_selection: 'selected',
      access_tokens_url: `${this.url}/app/installations/${id}/access_tokens`,
      repositories_url: `${this.url}/installation/repositories`,
      html_url: `${this.url}/settings/installations/${id}`,
      app_id: app.appId,
      app_slug: app.slug,
      target_id: 1,
      target_type: 'Organization',
      permissions: { checks: 'write', contents: 'read', deployments: 'write', issues: 'write', metadata: 'read', pull_requests: 'write', statuses: 'write' },
      events: ['check_run', 'issue_comment', 'pull_request', 'push'],
      created_at: now(),
      updated_at: now(),
      single_file_name: null,
    };
  }

  protected override commonHeaders(): Record<string, string> {
    return {
      'content-type': 'application/json; charset=utf-8',
      'x-github-media-type': 'github.v3; format=json',
      'x-github-api-version-selected': '2022-11-28',
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '4999',
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
      'x-ratelimit-used': '1',
      'x-ratelimit-resource': 'core',
      'x-github-request-id': `STANDIN:${this.requests.length}`,
    };
  }

  protected override badBodyAnswer(): unknown {
    return { message: 'Problems parsing JSON', documentation_url: DOCS };
  }

  /** The OAuth token endpoint takes a form, as on github.com; the API takes JSON. */
  protected override parseBody(raw: string, headers: http.IncomingHttpHeaders): unknown {
    if ((headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(raw));
    return JSON.parse(raw);
  }

  /** The web flow's two endpoints (on github.com, not the API); false for any other request. */
  private oauthRoute(entry: RecordedRequest, req: http.IncomingMessage, res: http.ServerResponse): boolean {
    if (entry.method === 'GET' && entry.path === '/login/oauth/authorize') {
      const answer = this.oauth.authorize(entry.query);
      if ('location' in answer) this.redirect(res, answer.location);
      else this.send(res, answer.status, answer.body);
      return true;
    }
    if (entry.method === 'POST' && entry.path === '/login/oauth/access_token') {
      const body = entry.body !== null && typeof entry.body === 'object' ? (entry.body as Record<string, unknown>) : {};
      const answer = this.oauth.exchange({ ...entry.query, ...body });
      // GitHub answers errors of this endpoint with a 200 and an `error` field
      const payload = 'token' in answer ? { access_token: answer.token, token_type: 'bearer', scope: '' } : { error: answer.error === 'invalid_grant' ? 'bad_verification_code' : 'incorrect_client_credentials', error_description: answer.description, error_uri: `${DOCS}/apps/oauth-apps/maintaining-oauth-apps/troubleshooting-oauth-app-access-token-request-errors` };
      if ((req.headers.accept ?? '').includes('application/json')) this.send(res, 200, payload);
      else {
        const text = new URLSearchParams(Object.entries(payload)).toString();
        res.writeHead(200, { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', 'content-length': String(Buffer.byteLength(text)) });
        res.end(text);
      }
      return true;
    }
    return false;
  }

  protected override failureBody(status: number): unknown {
    return { message: http.STATUS_CODES[status] ?? 'Error' };
  }

  protected override errorBody(error: unknown): unknown {
    return { message: String(error) };
  }

  /** Answers a request inside a rate-limit window as GitHub does; false when none applies. */
  private limited(entry: RecordedRequest, res: http.ServerResponse): boolean {
    const limit = this.limits.find((l) => l.method === entry.method && l.path.test(entry.path) && Date.now() < l.until);
    if (!limit) return false;
    const docs = 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api';
    if (limit.kind === 'primary') {
      const headers = { 'x-ratelimit-remaining': '0', 'x-ratelimit-used': '5000', 'x-ratelimit-reset': String(limit.until / 1000) };
      this.send(res, 403, { message: 'API rate limit exceeded for installation ID 1.', documentation_url: docs }, headers);
      return true;
    }
    const message = 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID STANDIN.';
    this.send(res, limit.status ?? 403, { message, documentation_url: docs }, { 'retry-after': String(Math.max(Math.ceil((limit.until - Date.now()) / 1000), 1)) });
    return true;
  }

  protected override answer(entry: RecordedRequest, req: http.IncomingMessage, res: http.ServerResponse): void {
    if (this.enterprise) {
      if (!entry.path.startsWith('/api/v3/')) return this.send(res, 404, { message: 'Not Found', documentation_url: DOCS });
      // routed without the prefix; recorded as received
      entry = { ...entry, path: entry.path.slice('/api/v3'.length) };
    }
    if (this.limited(entry, res)) return;
    if (this.appRoute(entry, req, res)) return;
    if (this.oauthRoute(entry, req, res)) return;
    if (!this.authorized(req.headers.authorization)) {
      this.send(res, 401, { message: 'Bad credentials', documentation_url: DOCS });
      return;
    }

    if (entry.method === 'GET' && /^\/user\/?$/.test(entry.path)) {
      const person = this.oauth.loginOf(/^(?:token|bearer)\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1] ?? '');
      if (person) {
        const at = now();
        this.send(res, 200, { ...this.user(person), name: `${person} (stand-in)`, company: null, blog: '', location: null, email: null, bio: null, public_repos: 0, followers: 0, following: 0, created_at: at, updated_at: at });
        return;
      }
      if (this.installationToken) {
        this.send(res, 403, { message: 'Resource not accessible by integration', documentation_url: `${DOCS}/users/users#get-the-authenticated-user`, status: '403' });
        return;
      }
      const at = now();
      this.send(res, 200, { ...this.user(this.login), name: null, company: null, blog: '', location: null, email: null, bio: null, public_repos: 0, followers: 0, following: 0, created_at: at, updated_at: at });
      return;
    }

    const routed = this.route(res, this.routes, entry, entry.path, (params, body) => {
      const fullName = `${params.owner}/${params.repo}`;
      return { params, query: entry.query, body, repo: this.repo(fullName), fullName };
    });
    if (!routed) this.send(res, 404, { message: 'Not Found', documentation_url: DOCS });
  }
}
