import type { ChangeSet, ChangeSummary } from './change.js';
import type { SyncStage } from './revision.js';
import type { Trigger } from './trigger.js';

/**
 * Why a run ended as it did, in Flux's words: the condition reasons of kustomize-controller
 * (`api/v1` ArtifactFailedReason, BuildFailedReason, HealthCheckFailedReason, PruneFailedReason,
 * and fluxcd/pkg `apis/meta` ReconciliationSucceededReason / ReconciliationFailedReason), plus
 * Driftless's own for a server-side dry run that refuses the set (Argo CD's "dry run failed"),
 * a revision superseded before it ran, and drift.
 */
export type SyncReason =
  | 'ReconciliationSucceeded'
  | 'ArtifactFailed'
  | 'BuildFailed'
  | 'DryRunFailed'
  | 'ReconciliationFailed'
  | 'PruneFailed'
  | 'HealthCheckFailed'
  | 'Superseded'
  | 'DriftDetected'
  | 'DriftHealed';

/** The reason a failure at each stage is given: the revision could not be had, built, validated, applied, pruned or made healthy. */
export const failureReason: Record<SyncStage, SyncReason> = {
  resolve: 'ArtifactFailed',
  fetch: 'ArtifactFailed',
  render: 'BuildFailed',
  plan: 'DryRunFailed',
  apply: 'ReconciliationFailed',
  prune: 'PruneFailed',
  wait: 'HealthCheckFailed',
};

/** How an automatic rollback after a failure ended. */
export type RollbackOutcome = { rolledBackTo: string } | { rollbackFailed: string; reason: string } | undefined;

/**
 * How one run of one revision ended: the one outcome that history, commit statuses, the pull
 * request comment, Kubernetes Events and notifications each map from.
 * - `succeeded`: applied and healthy; `healed`: drift of what runs was corrected.
 * - `failed`: caused by what is in Git (or the cluster's answer to it), never retried
 *   automatically; `errored`: transient, retried.
 * - `superseded`: a newer revision was chosen before this one ran.
 * - `drifted`: the cluster differs from Git and the target only reports drift.
 */
export type SyncOutcome =
  | { result: 'succeeded'; reason: 'ReconciliationSucceeded'; summary: ChangeSummary }
  | { result: 'healed'; reason: 'DriftHealed'; summary: ChangeSummary; message: string }
  | {
      result: 'failed' | 'errored';
      reason: SyncReason;
      stage: SyncStage;
      message: string;
      /** What was written before it failed. */
      summary?: ChangeSummary;
      rollback?: RollbackOutcome;
    }
  | { result: 'superseded'; reason: 'Superseded'; message: string }
  | { result: 'drifted'; reason: 'DriftDetected'; summary: ChangeSummary; message: string };

export type OutcomeResult = SyncOutcome['result'];

/**
 * The terminal outcome a settled revision was reported with, and the delivery it was reported
 * under. Kept with the settled mark, so that a sync finding the revision still pending (the run
 * that settled it ended before its report was queued: a crash, a failover) reports it again,
 * identically: the same report job, a no-op while the queue still holds the first.
 */
export interface TerminalReport {
  trigger: Trigger;
  outcome: Extract<SyncOutcome, { result: 'succeeded' | 'failed' | 'errored' | 'superseded' }>;
}

/** An outcome's fields side by side, as history stores it; `reason` is absent from entries recorded before reasons existed. */
export interface OutcomeRecord {
  result: OutcomeResult;
  reason?: SyncReason;
  /** The stage that failed. */
  stage?: SyncStage;
  /** Why it failed, was superseded, or what drift was found or healed. */
  message?: string;
  /** What the run changed (or had changed when it stopped), or the drift. */
  summary?: ChangeSummary;
  /** The same objects one by one, with their diffs (Secret values masked) within a budget; absent from entries recorded before. */
  changes?: ChangeSet;
}
