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

/** The targets a push could concern before looking at paths: same repository and branch, a commit (not a deletion or a tag). */
export function candidatesForPush(targets: readonly TargetConfig[], push: PushEvent): TargetConfig[] {
  if (push.deleted || !push.ref.startsWith('refs/heads/')) return [];
  const branch = push.ref.slice('refs/heads/'.length);
  return targets.filter((t) => sameRepo(t, push) && t.branch === branch);
}

/**
 * The targets a push deploys: the candidates with a change under the target's path, or under a
 * folder its last render read from outside that path (`readPaths`, by target: a kustomize base in
 * `../../base`), as Atlantis plans a project when a module it uses changes (runatlantis/atlantis#2507).
 */
export function targetsForPush(targets: readonly TargetConfig[], push: PushEvent, readPaths: ReadonlyMap<string, readonly string[]> = new Map()): TargetConfig[] {
  return candidatesForPush(targets, push).filter((t) => touches(t.path, push.changedPaths) || (readPaths.get(t.name) ?? []).some((p) => touches(p, push.changedPaths)));
}

/** The targets a pull request is a change to: same repository, its base is the target's branch. */
export function targetsForPullRequest(targets: readonly TargetConfig[], pr: PullRequestEvent): TargetConfig[] {
  return targets.filter((t) => sameRepo(t, pr) && t.branch === pr.base.ref);
}

/** The targets deployed from a repository, for comment commands. */
export function targetsOfRepo(targets: readonly TargetConfig[], event: Pick<PushEvent, 'provider' | 'repo' | 'repoId'>): TargetConfig[] {
  return targets.filter((t) => sameRepo(t, event));
}
