import type { TargetConfig } from '../config/schema.js';
import type { PushEvent } from '../providers/types.js';

/** Whether a changed file lies under a target's path ('.' is the whole repository). */
export function touches(targetPath: string, changedPaths: readonly string[] | undefined): boolean {
  if (!changedPaths || targetPath === '.') return true;
  const prefix = `${targetPath}/`;
  return changedPaths.some((p) => p === targetPath || p.startsWith(prefix));
}

/** Repository paths compare case-insensitively on GitHub, exactly elsewhere. */
function sameRepo(target: TargetConfig, push: PushEvent): boolean {
  if (push.provider !== 'generic' && target.repo.provider !== push.provider) return false;
  return target.repo.provider === 'github' ? target.repo.path.toLowerCase() === push.repo.toLowerCase() : target.repo.path === push.repo;
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
