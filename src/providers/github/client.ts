import type { GitCredentials } from '../../model/git.js';
import type { PermissionLevel } from '../../model/permission.js';
import type { StatusState } from '../../model/status.js';
import { ProviderError, type CheckRunWriter, type DeploymentState, type GitProvider, type PullRequestInfo } from '../types.js';
import { GitHubApp, type GitHubAppCredentials } from './app.js';
import { GitHubCheckRuns } from './checks.js';
import { providerError, rateLimited, statusOf } from './errors.js';
import { createGitHubApi, defaultLimits, orderedWrite, writeGroups, type GitHubApi, type GitHubLimits } from './octokit.js';
import { finished, maxDescription, roles, stateOnGitHub } from './vocabulary.js';

/** Options of GitHubProvider. */
export interface GitHubProviderOptions {
  /** Personal access token (or any static token); unused when `app` is set. */
  token?: string;
  /** Authenticate as a GitHub App: installation tokens minted per repository's installation, refreshed before expiry. */
  app?: GitHubAppCredentials;
  /** REST API base URL: `https://api.github.com`, or `https://<host>/api/v3` on GitHub Enterprise Server. */
  apiUrl: string;
  /** Web URL for clone URLs; derived from `apiUrl` when unset. */
  webUrl?: string;
  /** Login the token acts as (a GitHub App's `<slug>[bot]`); looked up with GET /user when unset. */
  login?: string;
  /** Write spacing, rate-limit waits and retries; GitHub's recommendations by default. */
  limits?: Partial<GitHubLimits>;
}

type Author = { login: string; type?: string } | null | undefined;

function split(repo: string): { owner: string; repo: string } {
  const [owner = '', name = ''] = repo.split('/');
  return { owner, repo: name };
}

/** Commit statuses, pull request comments, permissions and deployments through GitHub's REST API. */
export class GitHubProvider implements GitProvider {
  readonly commentLimit = 65536;
  readonly pullRequestPrefix = '#' as const;
  readonly canReport: boolean;
  /** Check runs, as an App (a token may not write them). */
  readonly checks: CheckRunWriter | undefined;
  /** The token's client; unused as an App. */
  private readonly octokit: GitHubApi;
  private readonly app: GitHubApp | undefined;
  private currentLogin: Promise<string | undefined> | undefined;

  constructor(private readonly options: GitHubProviderOptions) {
    const limits = { ...defaultLimits, ...options.limits };
    const baseUrl = options.apiUrl.replace(/\/$/, '');
    const writes = writeGroups(limits);
    this.canReport = Boolean(options.token ?? options.app);
    this.octokit = createGitHubApi({ auth: options.token, baseUrl, limits, writes });
    this.app = options.app && new GitHubApp({ ...options.app, baseUrl, limits, writes });
    if (this.app) {
      const runs = new GitHubCheckRuns((repo) => this.api(repo), options.app!.appId);
      this.checks = {
        upsertCheckRun: (repo, run) =>
          runs.upsertCheckRun(repo, run).catch((err: unknown) => {
            throw providerError(err, `check run ${run.name} on ${repo}@${run.sha.slice(0, 7)}`);
          }),
      };
    }
    if (options.login) this.currentLogin = Promise.resolve(options.login);
  }

  /** The client for `repo`: the token's, or the App installation's that covers it. */
  private api(repo: string): Promise<GitHubApi> {
    return this.app ? this.app.client(repo) : Promise.resolve(this.octokit);
  }

  async setStatus(repo: string, status: { sha: string; context: string; state: StatusState; description: string; targetUrl?: string }): Promise<void> {
    try {
      await (await this.api(repo)).rest.repos.createCommitStatus({
        ...split(repo),
        sha: status.sha,
        context: status.context,
        state: stateOnGitHub[status.state],
        description: status.description.slice(0, maxDescription),
        target_url: status.targetUrl,
        ...orderedWrite,
      });
    } catch (err) {
      throw providerError(err, `commit status for ${repo}@${status.sha.slice(0, 7)}`);
    }
  }

  async cloneUrl(repo: string): Promise<string> {
    const web = this.options.webUrl ?? (this.options.apiUrl.includes('api.github.com') ? 'https://github.com' : this.options.apiUrl.replace(/\/api\/v3\/?$/, ''));
    return `${web.replace(/\/$/, '')}/${repo}.git`;
  }

  /** The static token, or an installation token of the App's installation on `repo` (the one the API calls use). */
  async gitCredentials(repo: string): Promise<GitCredentials | undefined> {
    if (this.app) {
      try {
        return { username: 'x-access-token', token: await this.app.token(repo) };
      } catch (err) {
        throw providerError(err, `installation token for ${repo}`);
      }
    }
    return this.options.token ? { username: 'x-access-token', token: this.options.token } : undefined;
  }

  /**
   * Edits our comment holding `marker` in place, or creates it; `marker` is prepended when the
   * body lacks it. A comment by anyone else that quotes the marker is left alone.
   */
  async upsertPullRequestComment(repo: string, pr: number, marker: string, body: string): Promise<void> {
    if (!marker) throw new Error('upsertPullRequestComment: marker must not be empty');
    const text = body.includes(marker) ? body : `${marker}\n${body}`;
    const what = `comment on ${repo}#${pr}`;
    try {
      const ours = await this.ownComment(repo, pr, marker);
      if (ours?.body === text) return;
      const gh = await this.api(repo);
      if (ours) await gh.rest.issues.updateComment({ ...split(repo), comment_id: ours.id, body: text });
      else await gh.rest.issues.createComment({ ...split(repo), issue_number: pr, body: text });
    } catch (err) {
      throw providerError(err, what);
    }
  }

  async replyToPullRequest(repo: string, pr: number, body: string): Promise<void> {
    try {
      await (await this.api(repo)).rest.issues.createComment({ ...split(repo), issue_number: pr, body });
    } catch (err) {
      throw providerError(err, `reply on ${repo}#${pr}`);
    }
  }

  /** Reacts 👀 to the comment; GitHub answers a repeated reaction with the existing one. */
  async acknowledgeComment(repo: string, pr: number, commentId: number): Promise<void> {
    try {
      await (await this.api(repo)).rest.reactions.createForIssueComment({ ...split(repo), comment_id: commentId, content: 'eyes' });
    } catch (err) {
      throw providerError(err, `reaction on comment ${commentId} of ${repo}#${pr}`);
    }
  }

  /**
   * The user's role on the repository: `role_name` for the built-in roles, else (a custom
   * role) the strongest built-in role its permissions include. Not a collaborator: `none`.
   */
  async permission(repo: string, user: string): Promise<PermissionLevel | 'none'> {
    try {
      const { data } = await (await this.api(repo)).rest.repos.getCollaboratorPermissionLevel({ ...split(repo), username: user });
      if ((roles as readonly string[]).includes(data.role_name)) return data.role_name as PermissionLevel;
      const p = data.user?.permissions;
      if (p) {
        if (p.admin) return 'admin';
        if (p.maintain) return 'maintain';
        if (p.push) return 'write';
        if (p.triage) return 'triage';
        if (p.pull) return 'read';
        return 'none';
      }
      return (roles as readonly string[]).includes(data.permission) ? (data.permission as PermissionLevel) : 'none';
    } catch (err) {
      if (statusOf(err) === 404) return 'none';
      throw providerError(err, `permission of ${user} on ${repo}`);
    }
  }

  async pullRequest(repo: string, pr: number): Promise<PullRequestInfo> {
    try {
      const { data } = await (await this.api(repo)).rest.pulls.get({ ...split(repo), pull_number: pr });
      return {
        number: data.number,
        state: data.merged ? 'merged' : data.state === 'open' ? 'open' : 'closed',
        head: { sha: data.head.sha, ref: data.head.ref },
        base: { ref: data.base.ref },
        // a deleted head repository can only have been a fork
        fork: data.head.repo === null || data.head.repo.full_name.toLowerCase() !== data.base.repo.full_name.toLowerCase(),
        author: data.user.login,
      };
    } catch (err) {
      throw providerError(err, `pull request ${repo}#${pr}`);
    }
  }

  /**
   * Moves our deployment of `sha` to `environment` to `state`, creating the deployment when
   * there is none still running. Reporting a state the deployment already reached does nothing,
   * so a retried report job is harmless. `auto_inactive` lets a success retire the
   * environment's earlier deployments.
   */
  async recordDeployment(repo: string, deployment: { environment: string; sha: string; ref: string; state: DeploymentState; description?: string }): Promise<void> {
    const what = `deployment of ${repo}@${deployment.sha.slice(0, 7)} to ${deployment.environment}`;
    const description = deployment.description?.slice(0, maxDescription);
    try {
      const gh = await this.api(repo);
      let id: number | undefined;
      const existing = await this.ownDeployment(repo, deployment.environment, deployment.sha);
      if (existing) {
        const states = (
          await gh.paginate(gh.rest.repos.listDeploymentStatuses, { ...split(repo), deployment_id: existing.id, per_page: 100 })
        ).map((s) => s.state as string);
        // newest first
        const latest = states[0];
        if (latest === deployment.state) return;
        // a late retry of a finished deployment's last report
        if (latest !== undefined && finished.includes(latest) && finished.includes(deployment.state) && states.includes(deployment.state)) return;
        // a finished deployment is not restarted: running the commit again is a new deployment
        if (latest === undefined || !finished.includes(latest)) id = existing.id;
      }
      if (id === undefined) {
        const created = await gh.rest.repos.createDeployment({
          ...split(repo),
          // the commit, not the branch: the branch may have moved on since
          ref: deployment.sha,
          environment: deployment.environment,
          auto_merge: false,
          required_contexts: [],
          transient_environment: false,
          payload: { ref: deployment.ref },
          ...(description === undefined ? {} : { description }),
        });
        // 202 is GitHub's answer to an auto-merge, which auto_merge: false rules out
        if (!('id' in created.data)) throw new ProviderError('github', created.status, `${what}: no deployment created: ${created.data.message ?? 'unknown reason'}`);
        id = created.data.id;
      }
      await gh.rest.repos.createDeploymentStatus({
        ...split(repo),
        deployment_id: id,
        state: deployment.state,
        auto_inactive: true,
        ...(description === undefined ? {} : { description }),
      });
    } catch (err) {
      throw providerError(err, what);
    }
  }

  /** Our comment on the pull request that holds `marker`, the oldest if there are several. */
  private async ownComment(repo: string, pr: number, marker: string): Promise<{ id: number; body: string } | undefined> {
    const me = await this.login();
    const gh = await this.api(repo);
    const pages = gh.paginate.iterator(gh.rest.issues.listComments, { ...split(repo), issue_number: pr, per_page: 100 });
    for await (const { data } of pages) {
      const found = data.find((c) => c.body?.includes(marker) && this.isOurs(c.user, me));
      if (found) return { id: found.id, body: found.body ?? '' };
    }
    return undefined;
  }

  /** Our newest deployment of `sha` to `environment`. */
  private async ownDeployment(repo: string, environment: string, sha: string): Promise<{ id: number } | undefined> {
    const me = await this.login();
    const gh = await this.api(repo);
    const pages = gh.paginate.iterator(gh.rest.repos.listDeployments, { ...split(repo), environment, sha, per_page: 100 });
    for await (const { data } of pages) {
      // GitHub lists the newest first
      const found = data.find((d) => d.sha.toLowerCase() === sha.toLowerCase() && d.environment === environment && this.isOurs(d.creator, me));
      if (found) return { id: found.id };
    }
    return undefined;
  }

  /**
   * Written by the token's user. When /user is not readable with the token (installation and
   * Actions tokens), by a bot: those tokens always act as one, and people never are.
   */
  private isOurs(author: Author, me: string | undefined): boolean {
    if (!author) return false;
    return me === undefined ? author.type === 'Bot' : author.login.toLowerCase() === me.toLowerCase();
  }

  /** Login of the token's user, looked up once; undefined when the token may not read it. An App acts as `<slug>[bot]`. */
  private login(): Promise<string | undefined> {
    if (this.app) {
      this.currentLogin ??= this.app.login().catch((err: unknown) => {
        this.currentLogin = undefined;
        throw err;
      });
      return this.currentLogin;
    }
    this.currentLogin ??= this.octokit.rest.users.getAuthenticated().then(
      ({ data }) => data.login,
      (err: unknown) => {
        const status = statusOf(err);
        // installation tokens answer 403 "Resource not accessible by integration"; a rate limit is also a 403
        if ((status === 403 && !rateLimited(err)) || status === 404) return undefined;
        this.currentLogin = undefined;
        throw err;
      },
    );
    return this.currentLogin;
  }
}
