import type { DeploymentState } from '../providers/types.js';
import type { Trigger } from '../model/trigger.js';
import { jobId, type DeploymentJobData } from '../queue/jobs.js';
import { reportPriority } from './priority.js';

/**
 * Position of a deployment state in its lifecycle, queued → in_progress → finished (success or
 * failure); the report worker records no state of a lower rank after one of a higher rank. A
 * state recorded out of order would not just go backwards: GitHub and GitLab alike start a new
 * deployment for a state that follows a finished one, so a late "queued" would open a second
 * deployment of the commit that never ends.
 */
export function deploymentRank(state: DeploymentState): number {
  return state === 'queued' ? 0 : state === 'in_progress' ? 1 : 2;
}

/** What a deployment's rank is kept under: the target (the environment), per delivery that deploys the commit. */
export function deploymentRankKey(d: Pick<DeploymentJobData, 'target' | 'deliveryId'>): string {
  return `deployment/${d.target}@${d.deliveryId}`;
}

/**
 * A report job that moves the deployment of `input.sha` by `input.trigger` to `state`. Every
 * state at one priority (reportPriority.deployment): behind terminal statuses, and in the order
 * queued, so a deployment is created by its first state and each later one finds it.
 */
export function deploymentJob(
  input: { target: string; repo: string; sha: string; ref: string; trigger: Pick<Trigger, 'deliveryId'> },
  state: DeploymentState,
  description?: string,
): { name: 'deployment'; data: DeploymentJobData; opts: { jobId: string; priority: number } } {
  const data: DeploymentJobData = { target: input.target, repo: input.repo, sha: input.sha, ref: input.ref, state, description, deliveryId: input.trigger.deliveryId };
  return { name: 'deployment', data, opts: { jobId: jobId('deployment', input.target, input.sha, state, input.trigger.deliveryId), priority: reportPriority.deployment } };
}
