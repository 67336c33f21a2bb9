import type { TargetConfig } from '../../config/schema.js';
import type { PermissionLevel } from '../../model/permission.js';
import type { Providers } from '../../providers/index.js';
import type { SessionStore } from '../../store/sessions.js';
import type { Principal } from './principal.js';

/** What `permissionOn` reads: the Git hosts' clients, the session cache and how long an answer stays fresh. */
export interface PermissionDeps {
  providers: Providers;
  sessions: Pick<SessionStore, 'permission' | 'rememberPermission'>;
  ttlMs: number;
}

/**
 * What `principal` may do on `target`'s repository, in the provider's words: a token's configured
 * permission; for a person, the host's answer for their login (GitHub's collaborator permission,
 * GitLab's member access level, the same call comment commands are authorized with), cached in
 * the session for `ttlMs`. A person signed in with another host than the repository's has none.
 */
export async function permissionOn(deps: PermissionDeps, principal: Principal, target: TargetConfig): Promise<PermissionLevel | 'none'> {
  if (principal.kind === 'token') return principal.permission;
  const { provider: host, login, expiresAt } = principal.session;
  if (host !== target.repo.provider) return 'none';
  const cached = await deps.sessions.permission(principal.id, target.repo.spec);
  if (cached) return cached;
  const provider = deps.providers[host];
  if (!provider) return 'none';
  const level = await provider.permission(target.repo.path, login);
  await deps.sessions.rememberPermission(principal.id, target.repo.spec, level, deps.ttlMs, expiresAt);
  return level;
}

/** The targets `principal` may see: those whose repository it has any permission on. */
export async function visibleTargets(deps: PermissionDeps, principal: Principal, targets: readonly TargetConfig[]): Promise<TargetConfig[]> {
  const levels = await Promise.all(targets.map((t) => permissionOn(deps, principal, t)));
  return targets.filter((_, i) => levels[i] !== 'none');
}
