import type { PermissionLevel } from '../../model/permission.js';
import type { StatusState } from '../../model/status.js';
import type { DeploymentState, PullRequestInfo } from '../types.js';

// GitLab's words for Driftless's states, and GitLab's limits: the REST API v4 documentation
// (commits: "Set the pipeline status of a commit", deployments, members, merge requests).

/** GitLab's commit status states Driftless uses. */
export type GitLabStatusState = 'pending' | 'running' | 'success' | 'failed' | 'canceled';

export const stateOnGitLab: Record<StatusState, GitLabStatusState> = {
  pending: 'pending',
  running: 'running',
  success: 'success',
  failure: 'failed',
  error: 'failed',
  // a newer commit was deployed instead: GitLab has a state for exactly that
  superseded: 'canceled',
};

/** GitLab refuses descriptions longer than this. */
export const maxDescription = 255;

/** The deployment statuses GitLab's API accepts (it sets `created` itself, never on request). */
export type GitLabDeploymentStatus = 'running' | 'success' | 'failed' | 'canceled';

/**
 * Driftless's deployment states on GitLab. `queued` has none: the API refuses `created`, and a
 * deployment claimed `running` before the deploy starts could stay so if a newer commit wins.
 */
export const deploymentStatusOnGitLab: Record<DeploymentState, GitLabDeploymentStatus | undefined> = {
  queued: undefined,
  in_progress: 'running',
  success: 'success',
  failure: 'failed',
};

/** GitLab access levels as GitHub's roles; below guest (minimal access, 5) is no access to the code. */
export const roleOfAccessLevel: [minimum: number, role: PermissionLevel][] = [
  [50, 'admin'],
  [40, 'maintain'],
  [30, 'write'],
  [20, 'triage'],
  [10, 'read'],
];

export const mergeRequestStates: Record<string, PullRequestInfo['state']> = {
  opened: 'open',
  // locked: GitLab is merging it right now
  locked: 'open',
  merged: 'merged',
  closed: 'closed',
};
