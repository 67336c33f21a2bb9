import type { Change, ChangeSummary } from './change.js';

/** A preview that planned: what a deploy of `sha` would change. */
export interface PlannedPreview {
  sha: string;
  /** ISO time of the preview. */
  at: string;
  outcome: 'planned';
  changes: Change[];
}

/** One reason a preview failed: the object, the manifest file it came from, and why. */
export interface PreviewProblem {
  subject: string;
  file: string;
  /** Line of `file` the problem is at (1-based), when known. */
  line?: number;
  message: string;
}

/** A preview that could not plan: invalid manifests, policy violations. */
export interface FailedPreview {
  sha: string;
  /** ISO time of the preview. */
  at: string;
  outcome: 'failed';
  problems: PreviewProblem[];
  /** Why the preview failed, in one line. */
  message: string;
}

export type TargetPreview = PlannedPreview | FailedPreview;

export type DeployResult = 'succeeded' | 'failed' | 'errored' | 'rolled back' | 'superseded' | 'queued' | 'running';

/** A deploy of the merge commit (or a /deploy of the head). */
export interface TargetDeploy {
  sha: string;
  /** ISO time of the last change of `result`. */
  at: string;
  result: DeployResult;
  /** What the deploy changed (or had changed when it stopped). */
  summary?: ChangeSummary;
  /** Why it failed, errored or was superseded; or its progress while running. */
  message?: string;
  /** For rollbacks, the revision the target went back to. */
  rolledBackTo?: string;
}

/** A lock a pull request holds on a target. */
export interface TargetLock {
  pr: number;
  user: string;
  /** ISO time the lock was taken. */
  at: string;
}

/** What one target contributes to the PR comment. Serializable: it is stored in Redis between events. */
export interface TargetSection {
  target: string;
  /** The preview of the PR's head commit. */
  preview?: TargetPreview;
  /** The deploy of the merge commit (or a /deploy of the head), once it ran. */
  deploy?: TargetDeploy;
  /** A lock held by a pull request: shown so reviewers know why deploys wait. */
  lock?: TargetLock;
  /** Replies to commands, newest last, at most 5 kept by the caller. */
  notes?: string[];
}
