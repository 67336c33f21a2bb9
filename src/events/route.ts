import type { TargetConfig } from '../config/schema.js';
import type { PullRequestEvent, PushEvent } from '../providers/types.js';

/** Whether a changed file lies under a target's path ('.' is the whole repository). */
export function touches(targetPath: string, changedPaths: readonly string[] | undefined): boolean {
  if (!changedPaths || targetPath === '.') return true;
  const prefix = `${targetPath}/`;
  return changedPaths.some((p) => p === targetPath || p.startsWith(prefix));
}

/**
 * The generic endpoint names a target's repo spec (`github:acme/shop`); GitLab targets may name a
 * numeric project id; paths compare case-insensitively, as both hosts route them.
 */
function sameRepo(target: TargetConfig, push: Pick<PushEvent, 'provider' | 'repo' | 'repoId'>): boolean {
  if (push.provider === 'generic') return target.repo.spec.toLowerCase() === push.repo.toLowerCase();
  if (target.repo.provider !== push.provider) return false;
  if (target.repo.provider === 'gitlab' && /^\d+$/.test(target.repo.path)) return push.repoId === target.repo.path;
  return target.repo.path.toLowerCase() === push.repo.toLowerCase();
}

/**
 * The targets a push deploys: same repository, the target's branch, a commit (not a branch
 * deletion or a tag), and a change under the target's path.
 */
export function targetsForPush(targets: readonly TargetConfig[], push: PushEvent): TargetConfig[] {
  if (push.deleted || !push.ref.startsWith('refs/heads/')) return [];
  const branch = push.ref.slice('refs/heads/'.length);
  return targets.filter((t) => sameRepo(t, push) && t.branch === branch && touches(t.path, push.changedPaths));
}

/** The targets a pull request is a change to: same repository, its base is the target's branch. */
export function targetsForPullRequest(targets: readonly TargetConfig[], pr: PullRequestEvent): TargetConfig[] {
  return targets.filter((t) => sameRepo(t, pr) && t.branch === pr.base.ref);
}

/** The targets deployed from a repository, for comment commands. */
export function targetsOfRepo(targets: readonly TargetConfig[], event: Pick<PushEvent, 'provider' | 'repo' | 'repoId'>): TargetConfig[] {
  return targets.filter((t) => sameRepo(t, event));
}
