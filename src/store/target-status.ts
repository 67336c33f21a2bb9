import type { Runtime } from '../runtime.js';
import type { PullLock } from './pulls.js';

/** One target at a glance, for `driftless status` and `GET /api/targets`. */
export interface TargetStatus {
  target: string;
  repo: string;
  branch: string;
  deployed?: { sha: string; at: string };
  /** The last revision that ended healthy: where a rollback goes. */
  healthy?: string;
  /** Revisions waiting to deploy, oldest first. */
  pending: string[];
  lock?: PullLock;
}

export async function targetStatuses(rt: Pick<Runtime, 'config' | 'revisions' | 'pulls'>): Promise<TargetStatus[]> {
  return Promise.all(
    rt.config.targets.map(async (t) => {
      const [state, pending, lock] = await Promise.all([rt.revisions.state(t.name), rt.revisions.pending(t.name), rt.pulls.lock(t.name)]);
      return {
        target: t.name,
        repo: t.repo.spec,
        branch: t.branch,
        deployed: state.deployedSha ? { sha: state.deployedSha, at: new Date(state.deployedAt ?? 0).toISOString() } : undefined,
        healthy: state.healthySha,
        pending: pending.map((p) => p.sha),
        lock,
      };
    }),
  );
}
