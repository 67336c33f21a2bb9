import type { JobsOptions } from 'bullmq';
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
  /**
   * The commit a push delivery named, for its "queued" status, which the worker reports when it
   * first takes the job (not the webhook's request path). Not what is deployed: that is the branch head.
   */
  commit?: string;
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
  /**
   * Ranks are kept per run when set (a preview: each /diff or Re-run is a new run of its check
   * run, from queued again); otherwise per context and commit.
   */
  run?: string;
}

/**
 * A report job for a status with a body: a preview's terminal state. As a GitHub App it becomes
 * the check run `context` with the preview's plan (read from the pull request's stored parts);
 * with a token, the commit status it would have been.
 */
export interface CheckJobData extends StatusJobData {
  pr: PullRef;
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
  /** The delivery that deploys the commit: a redeploy of the same commit is a deployment of its own. */
  deliveryId: string;
}

/** The report queue's jobs by name. */
export interface ReportJobs {
  status: StatusJobData;
  check: CheckJobData;
  notify: NotifyJobData;
  comment: CommentJobData;
  deployment: DeploymentJobData;
}

/** Everything the report queue carries. */
export type ReportJobData = ReportJobs[keyof ReportJobs];

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

/** The pulls queue's jobs by name. */
export interface PullJobs {
  preview: PreviewJobData;
  command: CommandJobData;
  closed: PullClosedJobData;
}

/** Everything the pulls queue carries. */
export type PullJobData = PullJobs[keyof PullJobs];

/**
 * The sync queue's jobs by name: `sync` for a delivery, a command or the CLI; `reconcile` for
 * the repeating schedule of a target (one attempt per run; each run is its own delivery).
 */
export interface SyncJobs {
  sync: SyncJobData;
  reconcile: SyncJobData;
}

/** One job of a queue whose job names are the keys of `Jobs`, carrying the data of its name. */
export type QueuedJob<Jobs> = { [N in keyof Jobs & string]: { name: N; data: Jobs[N]; opts?: Omit<JobsOptions, 'repeat'> } }[keyof Jobs & string];

/**
 * The enqueueing side of a queue, typed by job name: what the layers below the processors get
 * instead of the BullMQ Queue, so a job name and its data cannot disagree.
 */
export interface JobQueue<Jobs> {
  add<N extends keyof Jobs & string>(name: N, data: Jobs[N], opts?: JobsOptions): Promise<unknown>;
  addBulk(jobs: QueuedJob<Jobs>[]): Promise<unknown>;
}

/** The three queues' enqueueing sides. */
export interface JobQueues {
  sync: JobQueue<SyncJobs>;
  report: JobQueue<ReportJobs>;
  pulls: JobQueue<PullJobs>;
}

/** The report job that renders a pull request's comment; one per `id` parts (delivery, target, ...). */
export function commentJob(pr: PullRef, ...id: string[]): QueuedJob<Pick<ReportJobs, 'comment'>> {
  return { name: 'comment', data: { pr }, opts: { jobId: jobId('comment', ...id) } };
}

/** Per job name: the fields every log line of such a job carries (delivery, target, commit, pull request). */
export type JobLogFields<Jobs> = { [N in keyof Jobs]: (data: Jobs[N]) => Record<string, string | number | undefined> };

const syncFields = (d: SyncJobData) => ({ deliveryId: d.trigger.deliveryId, target: d.target, commit: d.revision ?? d.commit, pr: d.trigger.pr });

export const syncLogFields: JobLogFields<SyncJobs> = { sync: syncFields, reconcile: syncFields };

export const reportLogFields: JobLogFields<ReportJobs> = {
  status: (d) => ({ deliveryId: d.deliveryId, target: d.target, commit: d.sha }),
  check: (d) => ({ deliveryId: d.deliveryId, target: d.target, commit: d.sha, pr: d.pr.number }),
  notify: (d) => ({ deliveryId: d.notification.deliveryId, target: d.notification.target, commit: d.notification.revision }),
  comment: (d) => ({ repo: d.pr.repo, pr: d.pr.number }),
  deployment: (d) => ({ target: d.target, commit: d.sha }),
};

export const pullLogFields: JobLogFields<PullJobs> = {
  preview: (d) => ({ deliveryId: d.deliveryId, target: d.target, commit: d.sha, pr: d.pr.number }),
  command: (d) => ({ deliveryId: d.deliveryId, repo: d.comment.repo, pr: d.comment.pr }),
  closed: (d) => ({ deliveryId: d.deliveryId, repo: d.event.repo, pr: d.event.number }),
};

export const queueNames = { sync: 'sync', report: 'report', pulls: 'pulls' } as const;

/** BullMQ custom job ids may not contain ':'. */
export function jobId(...parts: string[]): string {
  return parts.map((p) => p.replaceAll(':', '_')).join('.');
}
