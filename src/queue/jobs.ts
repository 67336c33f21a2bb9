import type { Notification } from '../report/notify.js';

/** Why a sync runs. Small and serializable: it travels through Redis. */
export interface Trigger {
  kind: 'push' | 'merge' | 'comment' | 'schedule' | 'api' | 'rollback';
  /** Webhook delivery id, or a generated id for CLI/API/scheduled runs. */
  deliveryId: string;
  actor: string;
  pr?: number;
}

/** A sync job: deploy `revision` when given, else the newest pending revision of the target. */
export interface SyncJobData {
  target: string;
  revision?: string;
  trigger: Trigger;
}

/** Neutral commit status states; each provider maps them to its own. */
export type StatusState = 'pending' | 'running' | 'success' | 'failure' | 'error' | 'superseded';

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

/** Everything the report queue carries: commit statuses (`status`) and notifications (`notify`). */
export type ReportJobData = StatusJobData | NotifyJobData;

export const queueNames = { sync: 'sync', report: 'report' } as const;

/** BullMQ custom job ids may not contain ':'. */
export function jobId(...parts: string[]): string {
  return parts.map((p) => p.replaceAll(':', '_')).join('.');
}
