import { createAppAuth } from '@octokit/auth-app';
import { ProviderError } from '../types.js';
import { statusOf } from './errors.js';
import { createGitHubApi, type GitHubApi, type GitHubLimits, type WriteGroups } from './octokit.js';

/** A GitHub App's credentials (`providers.github.app`). */
export interface GitHubAppCredentials {
  /** The App's id (Settings → Developer settings → GitHub Apps → App ID). */
  appId: number;
  /** The App's private key, PEM (PKCS#1 `BEGIN RSA PRIVATE KEY` as GitHub issues it, or PKCS#8). */
  privateKey: string;
  /** One installation for every repository; when unset, each repository's installation is looked up. */
  installationId?: number;
}

/** Most of a token's lifetime that is used before a new one is minted: 5 minutes of GitHub's hour. */
const refreshMarginMs = 5 * 60_000;

/**
 * The installation token cache `@octokit/auth-app` reads and writes (its `cache` option). Its own
 * cache keeps a token 59 minutes whatever its `expires_at`; this one hands a token out only while
 * it has more than `min(5 min, a quarter of its lifetime)` left, so a token is refreshed before it
 * expires and a fetch never starts with a token about to lapse. Values are auth-app's
 * `token|createdAt|expiresAt|...` strings; keys start with the installation id.
 */
export class InstallationTokenCache {
  private readonly entries = new Map<string, string>();

  get(key: string): string {
    const value = this.entries.get(key);
    if (value === undefined) return '';
    const [, createdAt = '', expiresAt = ''] = value.split('|');
    const expires = Date.parse(expiresAt);
    const lifetime = expires - Date.parse(createdAt);
    const margin = Math.min(refreshMarginMs, Number.isFinite(lifetime) ? lifetime / 4 : refreshMarginMs);
    if (!Number.isFinite(expires) || Date.now() >= expires - margin) {
      this.entries.delete(key);
      return '';
    }
    return value;
  }

  set(key: string, value: string): void {
    this.entries.set(key, value);
  }

  /** Drops every token of the installation (GitHub refused one: revoked, or the clock is off). */
  forget(installationId: number): void {
    for (const key of this.entries.keys()) if (key === String(installationId) || key.startsWith(`${installationId}|`)) this.entries.delete(key);
  }
}

/** Where the App's clients talk to and the limits they keep. */
export interface GitHubAppOptions extends GitHubAppCredentials {
  baseUrl: string;
  limits: GitHubLimits;
  writes: WriteGroups;
}

/**
 * A GitHub App's clients: the App itself (a JWT signed RS256 with its private key, for
 * `GET /repos/{owner}/{repo}/installation`) and one client per installation, authenticated with
 * installation access tokens that `@octokit/auth-app` mints on demand
 * (https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/authenticating-as-a-github-app-installation).
 * Tokens are cached per installation and refreshed before they expire (InstallationTokenCache);
 * a token GitHub refuses (401) is dropped and the call made once more with a new one.
 */
export class GitHubApp {
  private readonly app: GitHubApi;
  private readonly cache = new InstallationTokenCache();
  private readonly installations = new Map<string, Promise<number>>();
  private readonly clients = new Map<number, GitHubApi>();

  constructor(private readonly options: GitHubAppOptions) {
    this.app = this.api({});
  }

  /** The client of the installation that covers `repo` (`owner/name`). */
  async client(repo: string): Promise<GitHubApi> {
    const id = await this.installationId(repo);
    let client = this.clients.get(id);
    if (!client) this.clients.set(id, (client = this.installationClient(id)));
    return client;
  }

  /** An installation access token for `repo`, for cloning as `x-access-token`; the same cached token the API calls use. */
  async token(repo: string): Promise<string> {
    const client = await this.client(repo);
    const auth = (await client.auth({ type: 'installation' })) as { token: string };
    return auth.token;
  }

  /**
   * The installation covering `repo`: the configured one, else `GET /repos/{owner}/{repo}/installation`
   * (https://docs.github.com/en/rest/apps/apps#get-a-repository-installation-for-the-authenticated-app),
   * remembered per repository. 404: the App is not installed there, a permanent ProviderError.
   */
  installationId(repo: string): Promise<number> {
    if (this.options.installationId !== undefined) return Promise.resolve(this.options.installationId);
    const key = repo.toLowerCase();
    let found = this.installations.get(key);
    if (!found) {
      const [owner = '', name = ''] = repo.split('/');
      found = this.app.rest.apps.getRepoInstallation({ owner, repo: name }).then(
        ({ data }) => data.id,
        (err: unknown) => {
          this.installations.delete(key);
          const status = statusOf(err);
          const why = status === 404 ? `the GitHub App ${this.options.appId} is not installed on ${repo}` : `finding the App's installation on ${repo}: ${err instanceof Error ? err.message : String(err)}`;
          throw new ProviderError('github', status, why, { cause: err });
        },
      );
      this.installations.set(key, found);
    }
    return found;
  }

  /** The App's bot login, `<slug>[bot]` (https://docs.github.com/en/rest/apps/apps#get-the-authenticated-app). */
  async login(): Promise<string> {
    const { data } = await this.app.rest.apps.getAuthenticated();
    if (!data?.slug) throw new ProviderError('github', undefined, 'GET /app answered without the App slug');
    return `${data.slug}[bot]`;
  }

  private installationClient(installationId: number): GitHubApi {
    const client = this.api({ installationId });
    client.hook.error('request', async (error, options) => {
      const retried = (options.request as { tokenRefreshed?: boolean } | undefined)?.tokenRefreshed;
      if (statusOf(error) !== 401 || retried) throw error;
      // refused before the expiry we were told: revoked, or our clock is ahead; a new token, once
      this.cache.forget(installationId);
      return client.request({ ...options, request: { ...options.request, tokenRefreshed: true } });
    });
    return client;
  }

  private api(auth: { installationId?: number }): GitHubApi {
    const { appId, privateKey, baseUrl, limits, writes } = this.options;
    return createGitHubApi({ authStrategy: createAppAuth, auth: { appId, privateKey, cache: this.cache, ...auth }, baseUrl, limits, writes });
  }
}
