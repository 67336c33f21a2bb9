import type { CommentEvent, DeploymentState, PullRequestEvent } from '../providers/types.js';
import type { Notification } from '../model/notification.js';
import type { PullRef } from '../model/pull.js';
import type { StatusState } from '../model/status.js';
import type { Trigger } from '../model/trigger.js';

/** A sync job: deploy `revision` when given (a person named it), else reconcile the target with its branch head. */
export interface SyncJobData {
  target: string;
  revision?: string;
  trigger: Trigger;
}

export type { StatusState };

/** A report job: one commit status to post, retried on its own without re-running the deploy. */
export interface StatusJobData {
  target: string;
  repo: string;
  sha: string;
  context: string;
  state: StatusState;
  description: string;
  /** Lifecycle position; a status is never overwritten by one of a lower rank. */
  rank: number;
  deliveryId: string;
}

/** A report job that sends one notification to one configured receiver (found again by type and URL). */
export interface NotifyJobData {
  receiver: { type: 'webhook' | 'slack'; url: string };
  notification: Notification;
}

/** A report job that renders a pull request's Driftless comment from its stored parts and upserts it. */
export interface CommentJobData {
  pr: PullRef;
}

/** A report job that moves a target's deployment (GitHub Deployments, GitLab environments) to a state. */
export interface DeploymentJobData {
  target: string;
  repo: string;
  sha: string;
  ref: string;
  state: DeploymentState;
  description?: string;
}

/** Everything the report queue carries: `status`, `notify`, `comment` and `deployment` jobs. */
export type ReportJobData = StatusJobData | NotifyJobData | CommentJobData | DeploymentJobData;

/** A plan of a pull request's head against a target's live cluster: the diff preview. */
export interface PreviewJobData {
  target: string;
  pr: PullRef;
  sha: string;
  deliveryId: string;
}

/** A comment command to authorize, acknowledge and run. */
export interface CommandJobData {
  comment: CommentEvent;
  deliveryId: string;
}

/** A pull request closed or merged: its locks go, a merge commit is remembered. */
export interface PullClosedJobData {
  event: PullRequestEvent;
  deliveryId: string;
}

/** Everything the pulls queue carries: `preview`, `command` and `closed` jobs. */
export type PullJobData = PreviewJobData | CommandJobData | PullClosedJobData;

export const queueNames = { sync: 'sync', report: 'report', pulls: 'pulls' } as const;

/** BullMQ custom job ids may not contain ':'. */
export function jobId(...parts: string[]): string {
  return parts.map((p) => p.replaceAll(':', '_')).join('.');
}
