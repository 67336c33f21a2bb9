import { z } from 'zod';
import { unlessMissing } from './fields.js';

/** Repository hosts a target can deploy from. */
export type RepoProvider = 'github' | 'gitlab';

/** A parsed `repo:` spec. */
export interface RepoRef {
  provider: RepoProvider;
  /** `owner/name` on GitHub; `group/sub/project` or a numeric project id on GitLab. */
  path: string;
  /** The spec as written, e.g. `github:acme/shop`. */
  spec: string;
}

const GITHUB_OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?$/;
const GITHUB_REPO = /^[A-Za-z0-9._-]{1,100}$/;
const GITLAB_SEGMENT = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?$/;
const GITLAB_PROJECT_ID = /^[1-9][0-9]*$/;
const REPO_SPEC_MESSAGE =
  'expected github:owner/name, gitlab:group/project (nested groups allowed) or gitlab:<project id>';

/** Parses `github:owner/name`, `gitlab:group/sub/project` or `gitlab:1234`; undefined when malformed. */
export function parseRepoSpec(spec: string): RepoRef | undefined {
  const colon = spec.indexOf(':');
  if (colon < 0) return undefined;
  const provider = spec.slice(0, colon);
  const repoPath = spec.slice(colon + 1);
  if (provider === 'github') {
    const [owner, name, ...rest] = repoPath.split('/');
    const ok =
      rest.length === 0 &&
      owner !== undefined &&
      GITHUB_OWNER.test(owner) &&
      name !== undefined &&
      GITHUB_REPO.test(name) &&
      name !== '.' &&
      name !== '..';
    return ok ? { provider, path: repoPath, spec } : undefined;
  }
  if (provider === 'gitlab') {
    if (GITLAB_PROJECT_ID.test(repoPath)) return { provider, path: repoPath, spec };
    const segments = repoPath.split('/');
    const ok = segments.length >= 2 && segments.every((s) => GITLAB_SEGMENT.test(s) && !s.includes('..'));
    return ok ? { provider, path: repoPath, spec } : undefined;
  }
  return undefined;
}

/** A `repo:` spec, parsed to a RepoRef. */
export const repoSpec = z.string(unlessMissing(REPO_SPEC_MESSAGE)).transform((spec, ctx) => {
  const ref = parseRepoSpec(spec.trim());
  if (!ref) {
    ctx.issues.push({ code: 'custom', message: `${REPO_SPEC_MESSAGE}, got ${JSON.stringify(spec)}`, input: spec });
    return z.NEVER;
  }
  return ref;
});

/**
 * Normalizes a path inside the repository: no leading `./`, no trailing `/`, `.` for the root.
 * Returns an error message for absolute paths, backslashes and `..` segments.
 */
function normalizeRepoPath(p: string): { path: string } | { error: string } {
  if (p.startsWith('/')) return { error: 'expected a path relative to the repository root, not an absolute path' };
  if (p.includes('\\')) return { error: 'expected "/" as the path separator' };
  const segments = p.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) return { error: 'must not contain ".." (the path must stay inside the repository)' };
  return { path: segments.length === 0 ? '.' : segments.join('/') };
}

/** A directory inside the repository, normalized (`.` for the root). */
export const repoPath = z.string().transform((p, ctx) => {
  const result = normalizeRepoPath(p.trim());
  if ('error' in result) {
    ctx.issues.push({ code: 'custom', message: result.error, input: p });
    return z.NEVER;
  }
  return result.path;
});

/** A subset of git check-ref-format, enough to catch typos before the first fetch. */
function branchProblem(b: string): string | undefined {
  if (b.startsWith('refs/')) return 'expected a branch name without the refs/heads/ prefix';
  const bad =
    b === '' ||
    b === '@' ||
    /[\s~^:?*[\\]|\p{Cc}/u.test(b) ||
    b.includes('..') ||
    b.includes('//') ||
    b.includes('@{') ||
    b.startsWith('/') ||
    b.startsWith('-') ||
    b.endsWith('/') ||
    b.endsWith('.') ||
    b.endsWith('.lock');
  return bad ? 'expected a branch name such as main or release/1.x' : undefined;
}

/** A branch name without `refs/heads/`. */
export const branch = z.string().superRefine((b, ctx) => {
  const problem = branchProblem(b);
  if (problem) ctx.addIssue({ code: 'custom', message: problem, input: b });
});
