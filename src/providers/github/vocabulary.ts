import type { PermissionLevel } from '../../model/permission.js';
import type { StatusState } from '../../model/status.js';

// GitHub's words for Driftless's states, and GitHub's limits: the REST API documentation
// (commit statuses, deployments, collaborators' permission).

export const stateOnGitHub: Record<StatusState, 'pending' | 'success' | 'failure' | 'error'> = {
  pending: 'pending',
  running: 'pending',
  success: 'success',
  failure: 'failure',
  error: 'error',
  // its change is deployed as part of the newer commit: not a failure of this commit
  superseded: 'success',
};

/** GitHub's built-in repository roles, weakest first; custom roles have other names. */
export const roles: readonly PermissionLevel[] = ['read', 'triage', 'write', 'maintain', 'admin'];

/** Deployment states after which a deployment is finished; a new run of the same commit gets a new deployment. */
export const finished: readonly string[] = ['success', 'failure', 'error', 'inactive'];

/** GitHub refuses status and deployment descriptions longer than this. */
export const maxDescription = 140;
