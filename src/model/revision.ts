import type { Trigger } from './trigger.js';

/** A commit a delivery named for a target: "look again", kept until a sync settles it. */
export interface PendingRevision {
  sha: string;
  /** Milliseconds since the epoch. */
  receivedAt: number;
  trigger: Trigger;
}

/** The sync stages, in the order the reconciler runs them. */
export type SyncStage = 'resolve' | 'fetch' | 'render' | 'plan' | 'apply' | 'prune' | 'wait';

/** How the last attempt to deploy a revision ended (Flux's lastAttemptedRevision plus its outcome). */
export interface LastAttempt {
  revision: string;
  result: 'succeeded' | 'failed' | 'errored';
  /** The stage that failed. */
  stage?: SyncStage;
  /** Why it failed, as the failure's message. */
  reason?: string;
  /** A permanent failure is never retried automatically; a transient one is. */
  permanent?: boolean;
  /** Milliseconds since the epoch. */
  at: number;
}

/** A revision that failed for a permanent reason: not attempted again until a new head or a person asks. */
export interface RevisionFailure {
  stage?: SyncStage;
  reason: string;
  /** Milliseconds since the epoch. */
  at: number;
}

/** After an automatic rollback: the target stays at `at` until the branch moves past `from`. */
export interface RevisionHold {
  /** The revision that failed and was rolled back. */
  from: string;
  /** The revision the target was rolled back to and is held at. */
  at: string;
  /** Milliseconds since the epoch. */
  since: number;
}

/** What Driftless knows of a target's revisions. */
export interface RevisionState {
  /** What the cluster runs, healthy or not (the last revision that changed it). */
  deployed?: string;
  /** Milliseconds since the epoch. */
  deployedAt?: number;
  /** The last revision whose sync ended healthy: where a rollback goes, and what heal keeps. */
  lastApplied?: string;
  lastAttempt?: LastAttempt;
  held?: RevisionHold;
}
