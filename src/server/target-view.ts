import type { TargetConfig } from '../config/schema.js';
import type { StatusState } from '../model/status.js';
import type { ActionLog, ActionRecord } from '../store/actions.js';
import type { HistoryEntry, HistoryStore } from '../store/history.js';
import type { PreviewIndex, StoredPreview } from '../store/previews.js';
import { targetStatuses, type TargetStatus, type TargetStatusDeps } from '../store/target-status.js';

/**
 * A target's sync state, in Argo CD's and Flux's words: `in sync` (the last attempt ended
 * healthy), `drifted` (the last reconcile found the cluster differing from Git and only warned),
 * `deploying` (a sync runs, or revisions wait for one), `failed`, `held` (at an earlier revision
 * after an automatic rollback), `never deployed`. A pull request's lock is shown beside it.
 */
export type SyncState = 'in sync' | 'drifted' | 'deploying' | 'failed' | 'held' | 'never deployed';
export const syncStates: readonly SyncState[] = ['in sync', 'drifted', 'deploying', 'failed', 'held', 'never deployed'];

/**
 * Health as the last sync left it (gitops-engine's names): `Healthy` once what it applied became
 * ready, `Degraded` when the wait for health failed, `Progressing` while a sync runs, `Unknown`
 * before any sync or when a failure left what runs unchecked.
 */
export type Health = 'Healthy' | 'Progressing' | 'Degraded' | 'Unknown';

/** The running sync's latest step, as its commit status says it: `queued`, `applying`, `waiting for health: 1/3 ready`, then the terminal one. */
export interface LiveStage {
  target: string;
  sha: string;
  state: StatusState;
  description: string;
  /** Milliseconds since the epoch. */
  at: number;
}

/** One row of the fleet. */
export interface TargetRow {
  status: TargetStatus;
  cluster: string;
  namespace: string;
  sync: SyncState;
  health: Health;
  /** The newest commit status of a sync that is running, or ended less than a minute ago. */
  live?: LiveStage;
  /** The newest history entry. */
  last?: HistoryEntry;
}

/** One target in full, for its page and `GET /api/targets/<target>`. */
export interface TargetDetail extends TargetRow {
  /** Newest first. */
  history: HistoryEntry[];
  /** Actions from the dashboard and the API, newest first. */
  actions: ActionRecord[];
  /** Previews on pull requests, newest first (their ChangeSets, Secret values masked). */
  previews: StoredPreview[];
  /** The last reconcile's drift, when it is newer than the last sync that changed the cluster. */
  drift?: HistoryEntry;
  /** Revisions a rollback can go to: those that ended healthy, newest first, without what runs now. */
  rollbackTargets: string[];
}

/** What the dashboard reads: the stores, and the running syncs the web follows. */
export interface DashboardData extends TargetStatusDeps {
  history: Pick<HistoryStore, 'list'>;
  actions: Pick<ActionLog, 'list'>;
  previews: Pick<PreviewIndex, 'forTarget'>;
  /** The running sync of a target, if the web saw one. */
  live: (target: string) => LiveStage | undefined;
}

const running = (live: LiveStage | undefined) => live !== undefined && live.state === 'pending';

function syncState(status: TargetStatus, last: HistoryEntry | undefined, live: LiveStage | undefined): SyncState {
  if (running(live) || (status.pending.length > 0 && !status.lock)) return 'deploying';
  if (status.condition === 'held') return 'held';
  if (status.condition === 'failed') return 'failed';
  if (last?.result === 'drifted') return 'drifted';
  return status.condition === 'applied' ? 'in sync' : 'never deployed';
}

function health(status: TargetStatus, sync: SyncState): Health {
  if (sync === 'deploying') return 'Progressing';
  const attempt = status.lastAttempt;
  if (!attempt) return 'Unknown';
  if (attempt.result === 'succeeded' || status.held) return 'Healthy';
  if (attempt.stage === 'wait') return 'Degraded';
  // failed before it changed anything: what ran before still runs, healthy if it last ended so
  return status.deployed?.sha !== undefined && status.deployed.sha === status.lastAppliedRevision ? 'Healthy' : 'Unknown';
}

/** The fleet rows of these targets, in configuration order. */
export async function fleetRows(deps: DashboardData, targets: readonly TargetConfig[]): Promise<TargetRow[]> {
  const [statuses, lasts] = await Promise.all([targetStatuses({ ...deps, config: { targets } }), Promise.all(targets.map((t) => deps.history.list(t.name, 1)))]);
  return statuses.map((status, i) => {
    const t = targets[i]!;
    const live = deps.live(t.name);
    const last = lasts[i]![0];
    const sync = syncState(status, last, live);
    return { status, cluster: t.cluster, namespace: t.namespace, sync, health: health(status, sync), live, last };
  });
}

/** Everything about one target. */
export async function targetDetail(deps: DashboardData, target: TargetConfig): Promise<TargetDetail> {
  const [[row], history, actions, previews] = await Promise.all([
    fleetRows(deps, [target]),
    deps.history.list(target.name, 50),
    deps.actions.list(target.name, 50),
    deps.previews.forTarget(target.name, 10),
  ]);
  const changed = history.find((e) => e.result !== 'drifted' && e.result !== 'superseded');
  const newestDrift = history.find((e) => e.result === 'drifted');
  const drift = newestDrift && (!changed || newestDrift.finishedAt > changed.finishedAt) ? newestDrift : undefined;
  const deployed = row!.status.deployed?.sha;
  const rollbackTargets = [...new Set(history.filter((e) => e.result === 'succeeded' && e.revision !== deployed).map((e) => e.revision))];
  return { ...row!, history, actions, previews, drift, rollbackTargets };
}
