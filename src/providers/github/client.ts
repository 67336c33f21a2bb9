import { Octokit } from '@octokit/rest';
import type { StatusState } from '../../queue/jobs.js';
import type { GitCredentials } from '../../sync/fetch.js';
import { ProviderError, type GitProvider } from '../types.js';

const stateOnGitHub: Record<StatusState, 'pending' | 'success' | 'failure' | 'error'> = {
  pending: 'pending',
  running: 'pending',
  success: 'success',
  failure: 'failure',
  error: 'error',
  // its change is deployed as part of the newer commit: not a failure of this commit
  superseded: 'success',
};

function providerError(err: unknown, what: string): ProviderError {
  const status = (err as { status?: number }).status;
  return new ProviderError('github', status, `${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}

function split(repo: string): { owner: string; repo: string } {
  const [owner = '', name = ''] = repo.split('/');
  return { owner, repo: name };
}

export class GitHubProvider implements GitProvider {
  readonly name = 'github' as const;
  private readonly octokit: Octokit;

  constructor(private readonly options: { token?: string; apiUrl: string; webUrl?: string }) {
    this.octokit = new Octokit({ auth: options.token, baseUrl: options.apiUrl.replace(/\/$/, ''), userAgent: 'driftless' });
  }

  async setStatus(repo: string, status: { sha: string; context: string; state: StatusState; description: string; targetUrl?: string }): Promise<void> {
    await this.octokit.rest.repos
      .createCommitStatus({
        ...split(repo),
        sha: status.sha,
        context: status.context,
        state: stateOnGitHub[status.state],
        description: status.description.slice(0, 140),
        target_url: status.targetUrl,
      })
      .catch((err: unknown) => {
        throw providerError(err, `commit status for ${repo}@${status.sha.slice(0, 7)}`);
      });
  }

  async cloneUrl(repo: string): Promise<string> {
    const web = this.options.webUrl ?? (this.options.apiUrl.includes('api.github.com') ? 'https://github.com' : this.options.apiUrl.replace(/\/api\/v3\/?$/, ''));
    return `${web.replace(/\/$/, '')}/${repo}.git`;
  }

  gitCredentials(): GitCredentials | undefined {
    return this.options.token ? { username: 'x-access-token', token: this.options.token } : undefined;
  }
}
