import type { Config, TargetConfig } from '../config/schema.js';
import { FetchError } from '../errors.js';
import type { GitSource } from '../model/git.js';
import { GitHubProvider } from './github/client.js';
import { GitLabProvider } from './gitlab/client.js';
import type { GitProvider } from './types.js';

export type Providers = Partial<Record<'github' | 'gitlab', GitProvider>>;

/** API clients for every configured Git host. */
export function createProviders(config: Config): Providers {
  const providers: Providers = {};
  const gh = config.providers.github;
  if (gh) providers.github = new GitHubProvider({ token: gh.token, app: gh.app, apiUrl: gh.apiUrl, limits: { writeIntervalMs: gh.writeInterval, maxRateLimitWaitMs: gh.maxRateLimitWait } });
  const gl = config.providers.gitlab;
  if (gl) providers.gitlab = new GitLabProvider({ token: gl.token, url: gl.url });
  return providers;
}

/** Clone URL and credentials of a target's repository at a commit (a SyncSource, which the reconciler takes). */
export async function sourceFor(providers: Providers, target: TargetConfig, sha: string): Promise<GitSource & { target: TargetConfig; sha: string }> {
  const provider = providers[target.repo.provider];
  // never the payload's clone URL: a forged payload must not send our token to another host
  const cloneUrl = target.cloneUrl ?? (await provider?.cloneUrl(target.repo.path));
  if (!cloneUrl) throw new FetchError(`target ${target.name}: set cloneUrl or configure providers.${target.repo.provider}`, true);
  return { target, sha, cloneUrl, credentials: await provider?.gitCredentials(target.repo.path) };
}
