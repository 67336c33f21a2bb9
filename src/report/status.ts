import type { Trigger } from '../model/trigger.js';
import type { StatusState } from '../model/status.js';
import type { PullRef } from '../model/pull.js';
import type { CheckJobData, StatusJobData } from '../queue/jobs.js';
import { jobId } from '../queue/jobs.js';
import { reportPriority } from './priority.js';

/** Position in the lifecycle queued → applying → waiting → terminal; lower ranks never overwrite higher. */
export const statusRank = { queued: 0, applying: 1, waiting: 2, terminal: 3 } as const;
export type StatusPhase = keyof typeof statusRank;

export function statusContext(target: string): string {
  return `driftless/${target}`;
}

/** The context of a pull request's diff preview. */
export function previewContext(target: string): string {
  return `driftless/${target}/diff`;
}

/** GitHub caps descriptions at 140 characters; the start says most. */
export function shortDescription(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= 140 ? oneLine : `${oneLine.slice(0, 139)}…`;
}

/**
 * A report job for one status of one commit of one target. `progress` (0 to 1) orders updates
 * within a phase, such as "waiting: 1/3 healthy" before "waiting: 2/3 healthy".
 */
export function statusJob(
  input: { target: string; repo: string; sha: string; trigger: Pick<Trigger, 'deliveryId'>; context?: string },
  phase: StatusPhase,
  state: StatusState,
  description: string,
  progress = 0,
): { name: 'status'; data: StatusJobData; opts: { jobId: string; priority?: number } } {
  const data: StatusJobData = {
    target: input.target,
    repo: input.repo,
    sha: input.sha,
    context: input.context ?? statusContext(input.target),
    state,
    description: shortDescription(description),
    rank: statusRank[phase] + Math.min(progress, 0.99),
    deliveryId: input.trigger.deliveryId,
  };
  // one job per phase and delivery: a redelivered webhook cannot post "queued" over "success"
  const step = progress > 0 ? `${phase}-${Math.round(progress * 100)}` : phase;
  const id = jobId('status', data.context, input.sha, step, input.trigger.deliveryId);
  // behind a backlog a terminal status goes first, and progress last (reportPriority)
  return { name: 'status', data, opts: phase === 'terminal' ? { jobId: id } : { jobId: id, priority: reportPriority[phase] } };
}

/** The terminal report of a pull request's preview: a check run with the plan as a GitHub App, else the status `statusJob` would post. */
export function previewCheckJob(
  input: { target: string; repo: string; sha: string; trigger: Pick<Trigger, 'deliveryId'>; pr: PullRef },
  state: StatusState,
  description: string,
): { name: 'check'; data: CheckJobData; opts: { jobId: string } } {
  const status = statusJob({ ...input, context: previewContext(input.target) }, 'terminal', state, description);
  return { name: 'check', data: { ...status.data, pr: input.pr, run: input.trigger.deliveryId }, opts: { jobId: jobId('check', status.data.context, input.sha, input.trigger.deliveryId) } };
}
