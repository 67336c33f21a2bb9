import type { LastAttempt, RevisionHold } from '../model/revision.js';
import type { TargetConfig } from '../config/schema.js';
import type { PullHold } from '../model/pull.js';
import type { TargetInfo } from '../metrics.js';
import type { PullHoldStore } from './holds.js';
import type { RevisionStore } from './revisions.js';

/**
 * Where a target stands, from its revision state:
 * - `never deployed`: no sync has ended yet;
 * - `applied`: the last attempt ended healthy;
 * - `failed`: the last attempt failed for a permanent reason (not retried automatically) or
 *   errored (retried by the next reconcile);
 * - `held`: an automatic rollback holds it at an earlier revision until the branch moves on.
 */
export type TargetCondition = 'never deployed' | 'applied' | 'failed' | 'held';

/** One target at a glance, for `driftless status` and `GET /api/targets`. */
export interface TargetStatus {
  target: string;
  repo: string;
  branch: string;
  condition: TargetCondition;
  /** What the cluster runs (the last revision that changed it), healthy or not. */
  deployed?: { sha: string; at: string };
  /** The last revision whose sync ended healthy (Flux's lastAppliedRevision): where a rollback goes. */
  lastAppliedRevision?: string;
  /** The last revision a sync tried, and how that ended (Flux's lastAttemptedRevision). */
  lastAttempt?: Omit<LastAttempt, 'at'> & { at: string };
  held?: Omit<RevisionHold, 'since'> & { since: string };
  /** Revisions deliveries named that no sync has settled yet, oldest first. */
  pending: string[];
  lock?: PullHold;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** What `targetStatuses` reads: the configured targets and the two stores that hold their state. */
export interface TargetStatusDeps {
  config: { targets: readonly TargetConfig[] };
  revisions: Pick<RevisionStore, 'state' | 'pending'>;
  holds: Pick<PullHoldStore, 'holder'>;
}

export async function targetStatuses(rt: TargetStatusDeps): Promise<TargetStatus[]> {
  return Promise.all(
    rt.config.targets.map(async (t) => {
      const [state, pending, lock] = await Promise.all([rt.revisions.state(t.name), rt.revisions.pending(t.name), rt.holds.holder(t.name)]);
      const { lastAttempt, held } = state;
      const condition: TargetCondition = held ? 'held' : !lastAttempt ? 'never deployed' : lastAttempt.result === 'succeeded' ? 'applied' : 'failed';
      return {
        target: t.name,
        repo: t.repo.spec,
        branch: t.branch,
        condition,
        deployed: state.deployed ? { sha: state.deployed, at: iso(state.deployedAt ?? 0) } : undefined,
        lastAppliedRevision: state.lastApplied,
        lastAttempt: lastAttempt ? { ...lastAttempt, at: iso(lastAttempt.at) } : undefined,
        held: held ? { from: held.from, at: held.at, since: iso(held.since) } : undefined,
        pending: pending.map((p) => p.sha),
        lock,
      };
    }),
  );
}

/**
 * Per deployed target, what `driftless_target_info` shows: the revision the cluster runs and
 * `Healthy` when that revision is also the last one whose sync ended healthy, else `Degraded`
 * (its health check failed, or an apply or prune failed part-way). Never-deployed targets are left out.
 */
export async function targetInfos(rt: Pick<TargetStatusDeps, 'config'> & { revisions: Pick<RevisionStore, 'state'> }): Promise<TargetInfo[]> {
  const infos = await Promise.all(
    rt.config.targets.map(async (t): Promise<TargetInfo | undefined> => {
      const { deployed, lastApplied } = await rt.revisions.state(t.name);
      return deployed ? { target: t.name, revision: deployed, health: deployed === lastApplied ? 'Healthy' : 'Degraded' } : undefined;
    }),
  );
  return infos.filter((i): i is TargetInfo => i !== undefined);
}
