import type { Config, TargetConfig } from '../config/schema.js';

/** Where a target's commits and pull requests are on its Git host's web pages. */
export interface Links {
  commit(target: TargetConfig, sha: string): string | undefined;
  pull(target: TargetConfig, pr: number): string | undefined;
}

/** GitHub's web host: `dashboard.github.url`, else the API URL without `api.` (github.com) or `/api/v3` (Enterprise). */
function githubWeb(config: Config): string | undefined {
  if (config.dashboard.github) return config.dashboard.github.url.replace(/\/$/, '');
  const api = config.providers.github?.apiUrl;
  if (!api) return 'https://github.com';
  return api.replace(/\/$/, '').replace(/\/api\/v3$/, '').replace('://api.github.com', '://github.com');
}

/** Links from the configured hosts; a GitLab project named by its numeric id has none. */
export function links(config: Config): Links {
  const github = githubWeb(config);
  const gitlab = (config.providers.gitlab?.url ?? 'https://gitlab.com').replace(/\/$/, '');
  const base = (t: TargetConfig) => {
    if (t.repo.provider === 'github') return github && `${github}/${t.repo.path}`;
    return /^\d+$/.test(t.repo.path) ? undefined : `${gitlab}/${t.repo.path}/-`;
  };
  return {
    commit: (t, sha) => {
      const b = base(t);
      return b && `${b}/commit/${sha}`;
    },
    pull: (t, pr) => {
      const b = base(t);
      return b && (t.repo.provider === 'github' ? `${b}/pull/${pr}` : `${b}/merge_requests/${pr}`);
    },
  };
}
