import type { DeploymentState } from '../providers/types.js';
import type { Trigger } from '../model/trigger.js';
import { jobId, type DeploymentJobData } from '../queue/jobs.js';

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
 * BullMQ priority of a state's job, as for commit statuses (see statusJob): a finished state has
 * none and goes before every prioritized job; of the others the later state goes first. With an
 * idle report queue each state is recorded as it is queued; behind a backlog of writes, a
 * deployment that finished meanwhile is created with its final state (two writes instead of
 * four), and its earlier states are skipped by their rank.
 */
const statePriority: Record<DeploymentState, number | undefined> = { success: undefined, failure: undefined, in_progress: 1, queued: 2 };

/** A report job that moves the deployment of `input.sha` by `input.trigger` to `state`. */
export function deploymentJob(
  input: { target: string; repo: string; sha: string; ref: string; trigger: Pick<Trigger, 'deliveryId'> },
  state: DeploymentState,
  description?: string,
): { name: 'deployment'; data: DeploymentJobData; opts: { jobId: string; priority?: number } } {
  const data: DeploymentJobData = { target: input.target, repo: input.repo, sha: input.sha, ref: input.ref, state, description, deliveryId: input.trigger.deliveryId };
  const id = jobId('deployment', input.target, input.sha, state, input.trigger.deliveryId);
  const priority = statePriority[state];
  return { name: 'deployment', data, opts: priority === undefined ? { jobId: id } : { jobId: id, priority } };
}
