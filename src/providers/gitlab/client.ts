import { Gitlab } from '@gitbeaker/rest';
import type { GitCredentials } from '../../model/git.js';
import type { PermissionLevel } from '../../model/permission.js';
import type { StatusState } from '../../model/status.js';
import type { DeploymentState, GitProvider, PullRequestInfo } from '../types.js';
import { failure, GitLabApiError } from './api-error.js';
import { deploymentStatusOnGitLab, maxDescription, mergeRequestStates, roleOfAccessLevel, stateOnGitLab, type GitLabDeploymentStatus } from './vocabulary.js';

/** Options of GitLabProvider. */
export interface GitLabProviderOptions {
  /** Base URL of the GitLab instance, e.g. `https://gitlab.com` or `https://example.com/gitlab`. */
  url: string;
  /** Personal, project or group access token with the `api` scope. */
  token?: string;
  /** Upper bound for one API call including gitbeaker's own retries of 429 and 502; default 30 s. */
  queryTimeoutMs?: number;
}

/** What an upsert did. */
export type UpsertAction = 'created' | 'updated' | 'unchanged';

/** Numeric project ids stay numbers so gitbeaker does not treat them as paths. */
const projectRef = (repo: string): string | number => (/^[1-9][0-9]*$/.test(repo) ? Number(repo) : repo);

interface NoteLike {
  id: number;
  body: string;
  system?: boolean;
  author?: { id?: number };
}

interface MergeRequestLike {
  iid: number;
  state: string;
  sha?: string | null;
  diff_refs?: { head_sha?: string | null } | null;
  source_branch: string;
  target_branch: string;
  source_project_id: number;
  target_project_id: number;
  author?: { username?: string } | null;
}

interface MemberLike {
  access_level: number;
  membership_state?: string;
}

interface DeploymentLike {
  id: number;
  sha: string;
  ref: string;
  status: string;
}

/** Commit statuses, merge request notes and deployments through GitLab's REST API v4. */
export class GitLabProvider implements GitProvider {
  readonly commentLimit = 1_000_000;
  readonly pullRequestPrefix = '!' as const;
  readonly canReport: boolean;
  private readonly api: InstanceType<typeof Gitlab<false>>;
  private readonly url: string;
  private currentUser: Promise<number> | undefined;

  constructor(private readonly options: GitLabProviderOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.canReport = Boolean(options.token);
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

  /** The configured token, as `oauth2`; the same for every project. */
  async gitCredentials(): Promise<GitCredentials | undefined> {
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

  async upsertPullRequestComment(repo: string, pr: number, marker: string, body: string): Promise<void> {
    await this.upsertMergeRequestNote(repo, pr, marker, body);
  }

  async replyToPullRequest(repo: string, pr: number, body: string): Promise<void> {
    try {
      await this.api.MergeRequestNotes.create(projectRef(repo), pr, body);
    } catch (error) {
      throw this.wrap(error, 'POST', `projects/${encodeURIComponent(repo)}/merge_requests/${pr}/notes`);
    }
  }

  /** Awards 👀 (`eyes`) to the note; GitLab answers a repeated award with 404 "already been taken". */
  async acknowledgeComment(repo: string, pr: number, commentId: number): Promise<void> {
    try {
      await this.api.MergeRequestNoteAwardEmojis.award(projectRef(repo), pr, commentId, 'eyes');
    } catch (error) {
      const f = failure(error);
      if (f?.status === 404 && /already been taken/i.test(f.description)) return;
      throw this.wrap(error, 'POST', `projects/${encodeURIComponent(repo)}/merge_requests/${pr}/notes/${commentId}/award_emoji`);
    }
  }

  /**
   * The user's access level on the project, inherited memberships included, in GitHub's words:
   * guest → read, reporter → triage, developer → write, maintainer → maintain, owner → admin.
   * Unknown users, non-members, minimal access and pending memberships are `none`.
   */
  async permission(repo: string, user: string): Promise<PermissionLevel | 'none'> {
    const project = projectRef(repo);
    let endpoint = 'users';
    try {
      const [found] = (await this.api.Users.all({ username: user, perPage: 1, maxPages: 1 })) as unknown as { id: number; username: string }[];
      if (!found || found.username.toLowerCase() !== user.toLowerCase()) return 'none';
      endpoint = `projects/${encodeURIComponent(repo)}/members/all/${found.id}`;
      const member = (await this.api.ProjectMembers.show(project, found.id, { includeInherited: true })) as unknown as MemberLike;
      if (member.membership_state !== undefined && member.membership_state !== 'active') return 'none';
      return roleOfAccessLevel.find(([minimum]) => member.access_level >= minimum)?.[1] ?? 'none';
    } catch (error) {
      const f = failure(error);
      // not a member; "404 Project Not Found" is a wrong repository, not a missing permission
      if (f?.status === 404 && endpoint !== 'users' && !/project/i.test(f.description)) return 'none';
      throw this.wrap(error, 'GET', endpoint);
    }
  }

  async pullRequest(repo: string, pr: number): Promise<PullRequestInfo> {
    try {
      const mr = (await this.api.MergeRequests.show(projectRef(repo), pr)) as unknown as MergeRequestLike;
      return {
        number: mr.iid,
        state: mergeRequestStates[mr.state] ?? 'closed',
        head: { sha: mr.sha ?? mr.diff_refs?.head_sha ?? '', ref: mr.source_branch },
        base: { ref: mr.target_branch },
        fork: mr.source_project_id !== mr.target_project_id,
        author: mr.author?.username ?? 'unknown',
      };
    } catch (error) {
      throw this.wrap(error, 'GET', `projects/${encodeURIComponent(repo)}/merge_requests/${pr}`);
    }
  }

  /**
   * Records a deploy on the environment named after the target, in GitLab's statuses:
   * in_progress → running, success → success, failure → failed. `queued` records nothing (see
   * deploymentStatusOnGitLab); the deployment appears when the deploy starts.
   */
  async recordDeployment(repo: string, deployment: { environment: string; sha: string; ref: string; state: DeploymentState; description?: string }): Promise<void> {
    const status = deploymentStatusOnGitLab[deployment.state];
    if (status === undefined) return;
    await this.recordEnvironmentDeployment(repo, { environment: deployment.environment, sha: deployment.sha, ref: deployment.ref, status });
  }

  /**
   * Records a deploy of `sha` to `environment` (created on first use): the newest deployment
   * of the environment is moved on when it is this commit and still running, else a new one
   * starts. Repeating the last report changes nothing, so a retried report job is harmless.
   */
  async recordEnvironmentDeployment(
    repo: string,
    deployment: { environment: string; sha: string; ref: string; status: GitLabDeploymentStatus },
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
