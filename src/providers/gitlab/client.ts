import { GitbeakerRequestError, Gitlab } from '@gitbeaker/rest';
import type { StatusState } from '../../queue/jobs.js';
import type { GitCredentials } from '../../sync/fetch.js';
import { ProviderError, type GitProvider } from '../types.js';

/** Options of GitLabProvider. */
export interface GitLabProviderOptions {
  /** Base URL of the GitLab instance, e.g. `https://gitlab.com` or `https://example.com/gitlab`. */
  url: string;
  /** Personal, project or group access token with the `api` scope. */
  token?: string;
  /** Upper bound for one API call including gitbeaker's own retries of 429 and 502; default 30 s. */
  queryTimeoutMs?: number;
}

/** GitLab's commit status states Driftless uses. */
type GitLabStatusState = 'pending' | 'running' | 'success' | 'failed' | 'canceled';

const stateOnGitLab: Record<StatusState, GitLabStatusState> = {
  pending: 'pending',
  running: 'running',
  success: 'success',
  failure: 'failed',
  error: 'failed',
  // a newer commit was deployed instead: GitLab has a state for exactly that
  superseded: 'canceled',
};

/** GitLab refuses descriptions longer than this. */
const maxDescription = 255;

/** A deployment's status as Driftless reports it. */
export type DeploymentState = 'running' | 'success' | 'failed' | 'canceled';

/** What an upsert did. */
export type UpsertAction = 'created' | 'updated' | 'unchanged';

/** A GitLab API call that failed; `status` is the HTTP status (0 when there was no answer). */
export class GitLabApiError extends ProviderError {
  constructor(
    status: number,
    readonly method: string,
    readonly endpoint: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('gitlab', status || undefined, `API ${method} ${endpoint} answered ${status || 'nothing'}: ${message}`, options);
  }
}

/** The HTTP status, message and request of a gitbeaker failure, if it was one. */
function failure(error: unknown): { status: number; description: string; method?: string; endpoint?: string } | undefined {
  if (!(error instanceof GitbeakerRequestError)) return undefined;
  const cause = error.cause as { description?: string; response?: { status?: number }; request?: { method?: string; url?: string } } | undefined;
  let endpoint: string | undefined;
  try {
    // the path only: the token travels in a header, but keep query strings out of messages anyway
    endpoint = cause?.request?.url ? new URL(cause.request.url).pathname.replace(/^.*?\/api\/v4\//, '') : undefined;
  } catch {
    endpoint = undefined;
  }
  return { status: cause?.response?.status ?? 0, description: cause?.description ?? error.message, method: cause?.request?.method, endpoint };
}

/** Numeric project ids stay numbers so gitbeaker does not treat them as paths. */
const projectRef = (repo: string): string | number => (/^[1-9][0-9]*$/.test(repo) ? Number(repo) : repo);

interface NoteLike {
  id: number;
  body: string;
  system?: boolean;
  author?: { id?: number };
}

interface DeploymentLike {
  id: number;
  sha: string;
  ref: string;
  status: string;
}

/** Commit statuses, merge request notes and deployments through GitLab's REST API v4. */
export class GitLabProvider implements GitProvider {
  readonly name = 'gitlab' as const;
  private readonly api: InstanceType<typeof Gitlab<false>>;
  private readonly url: string;
  private currentUser: Promise<number> | undefined;

  constructor(private readonly options: GitLabProviderOptions) {
    this.url = options.url.replace(/\/+$/, '');
    if (!/^https?:\/\//.test(this.url)) throw new Error(`providers.gitlab.url must be an http(s) URL, got ${JSON.stringify(options.url)}`);
    // no `token` key at all without a token: gitbeaker would send the header "undefined"
    this.api = new Gitlab({ host: this.url, queryTimeout: options.queryTimeoutMs ?? 30_000, ...(options.token ? { token: options.token } : {}) });
  }

  /**
   * Posts a commit status named `context`. GitLab answers 400 to a transition a status has
   * already made (pending→pending, running→running): that status is already reported.
   */
  async setStatus(repo: string, status: { sha: string; context: string; state: StatusState; description: string; targetUrl?: string }): Promise<void> {
    const endpoint = `projects/${encodeURIComponent(repo)}/statuses/${status.sha}`;
    try {
      await this.api.Commits.editStatus(projectRef(repo), status.sha, stateOnGitLab[status.state], {
        name: status.context,
        description: status.description.slice(0, maxDescription),
        ...(status.targetUrl ? { targetUrl: status.targetUrl } : {}),
      });
    } catch (error) {
      const f = failure(error);
      if (f?.status === 400 && /cannot transition status/i.test(f.description)) return;
      throw this.wrap(error, 'POST', endpoint);
    }
  }

  /** Clone URL of a project path or numeric id, the path looked up on the configured host. */
  async cloneUrl(repo: string): Promise<string> {
    const ref = projectRef(repo);
    if (typeof ref === 'string') return `${this.url}/${repo}.git`;
    try {
      const project = (await this.api.Projects.show(ref)) as { path_with_namespace: string };
      // built from the configured URL, not http_url_to_repo, so the token only goes where configured
      return `${this.url}/${project.path_with_namespace}.git`;
    } catch (error) {
      throw this.wrap(error, 'GET', `projects/${ref}`);
    }
  }

  gitCredentials(): GitCredentials | undefined {
    return this.options.token ? { username: 'oauth2', token: this.options.token } : undefined;
  }

  /**
   * Creates the merge request note holding `marker`, or edits ours in place. `marker` (a hidden
   * HTML comment) is prepended to `body` when the body does not contain it.
   */
  async upsertMergeRequestNote(repo: string, mrIid: number, marker: string, body: string): Promise<{ noteId: number; action: UpsertAction }> {
    if (!marker) throw new Error('upsertMergeRequestNote: marker must not be empty');
    const text = body.includes(marker) ? body : `${marker}\n${body}`;
    const endpoint = `projects/${encodeURIComponent(repo)}/merge_requests/${mrIid}/notes`;
    const project = projectRef(repo);
    try {
      const me = await this.userId();
      const notes = (await this.api.MergeRequestNotes.all(project, mrIid, { orderBy: 'created_at', sort: 'asc', perPage: 100 })) as unknown as NoteLike[];
      // only our own notes: a user quoting the marker must not have their note overwritten
      const existing = notes.find((n) => !n.system && n.author?.id === me && n.body.includes(marker));
      if (existing && existing.body === text) return { noteId: existing.id, action: 'unchanged' };
      if (existing) {
        await this.api.MergeRequestNotes.edit(project, mrIid, existing.id, { body: text });
        return { noteId: existing.id, action: 'updated' };
      }
      const created = (await this.api.MergeRequestNotes.create(project, mrIid, text)) as unknown as NoteLike;
      return { noteId: created.id, action: 'created' };
    } catch (error) {
      throw this.wrap(error, 'GET', endpoint);
    }
  }

  /**
   * Records a deploy of `sha` to `environment` (created on first use): the newest deployment
   * of the environment is moved on when it is this commit and still running, else a new one
   * starts. Repeating the last report changes nothing, so a retried report job is harmless.
   */
  async recordDeployment(
    repo: string,
    deployment: { environment: string; sha: string; ref: string; status: DeploymentState },
  ): Promise<{ deploymentId: number; action: UpsertAction }> {
    const project = projectRef(repo);
    const tag = deployment.ref.startsWith('refs/tags/');
    const ref = deployment.ref.replace(/^refs\/(?:heads|tags)\//, '');
    const endpoint = `projects/${encodeURIComponent(repo)}/deployments`;
    try {
      const [newest] = (await this.api.Deployments.all(project, {
        environment: deployment.environment,
        orderBy: 'id',
        sort: 'desc',
        perPage: 1,
        maxPages: 1,
      })) as unknown as DeploymentLike[];
      if (newest && newest.sha === deployment.sha && newest.ref === ref) {
        if (newest.status === deployment.status) return { deploymentId: newest.id, action: 'unchanged' };
        if (newest.status === 'created' || newest.status === 'running') {
          await this.api.Deployments.edit(project, newest.id, deployment.status);
          return { deploymentId: newest.id, action: 'updated' };
        }
      }
      const created = (await this.api.Deployments.create(project, deployment.environment, deployment.sha, ref, tag, {
        status: deployment.status,
      })) as unknown as DeploymentLike;
      return { deploymentId: created.id, action: 'created' };
    } catch (error) {
      throw this.wrap(error, 'GET', endpoint);
    }
  }

  /** Id of the token's user, looked up once. */
  private userId(): Promise<number> {
    this.currentUser ??= this.api.Users.showCurrentUser().then(
      (u) => (u as { id: number }).id,
      (error: unknown) => {
        this.currentUser = undefined;
        throw error;
      },
    );
    return this.currentUser;
  }

  private wrap(error: unknown, method: string, endpoint: string): Error {
    if (error instanceof GitLabApiError) return error;
    const f = failure(error);
    if (f) return new GitLabApiError(f.status, f.method ?? method, f.endpoint ?? endpoint, f.description, { cause: error });
    return new GitLabApiError(0, method, endpoint, error instanceof Error ? error.message : String(error), { cause: error });
  }
}
