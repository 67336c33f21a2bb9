import type { ObjectEvent } from '../kube/events.js';
import type { Notification } from '../model/notification.js';
import type { TargetDeploy } from '../model/pull-comment.js';
import type { StatusState } from '../model/status.js';
import type { DeploymentState } from '../providers/types.js';
import { describeSummary } from '../sync/changeset.js';
import type { RunOutcome } from '../sync/reconciler.js';

/** What every channel says about one finished run, each mapped from the one RunOutcome. */
export interface OutcomeReport {
  status: { state: StatusState; description: string };
  /** Absent for a heal of drift: it is not a new deployment. */
  deployment: { state: DeploymentState; description: string };
  /** The run's line in the pull request's comment. */
  comment: Omit<TargetDeploy, 'sha' | 'at'>;
  /** The Kubernetes Event on the target's ApplySet parent; failures carry their Flux-like reason (BuildFailed, HealthCheckFailed, ...). */
  event: ObjectEvent;
  /** Only failures (and their rollbacks) notify. */
  notification?: Omit<Notification, 'target' | 'at'>;
}

const short = (sha: string) => sha.slice(0, 7);

/**
 * The report of a finished run of `revision`. A failure's description says how its rollback
 * went: `rolled back to abc1234: <why>` or `rollback to abc1234 failed too: <why>`.
 */
export function reportOutcome(outcome: RunOutcome, revision: string, deliveryId: string): OutcomeReport {
  if (outcome.result === 'succeeded' || outcome.result === 'healed') {
    const healed = outcome.result === 'healed';
    const text = describeSummary(outcome.summary);
    return {
      status: { state: 'success', description: `${healed ? 'healed drift' : 'deployed'}: ${text}` },
      deployment: { state: 'success', description: text },
      comment: { result: 'succeeded', summary: outcome.summary },
      // Normal events keep the names they have always had; dashboards and tests filter on them
      event: { type: 'Normal', reason: healed ? 'DriftHealed' : 'SyncSucceeded', message: `${short(revision)} ${healed ? 'healed' : 'deployed'}: ${text}` },
    };
  }
  const { rollback, message } = outcome;
  const rolledBackTo = rollback && 'rolledBackTo' in rollback ? rollback.rolledBackTo : undefined;
  const description = !rollback
    ? message
    : rolledBackTo
      ? `rolled back to ${short(rolledBackTo)}: ${message}`
      : `rollback to ${'rollbackFailed' in rollback ? short(rollback.rollbackFailed) : ''} failed too: ${message}`;
  return {
    status: { state: outcome.result === 'failed' ? 'failure' : 'error', description },
    deployment: { state: 'failure', description },
    comment: { result: rolledBackTo ? 'rolled back' : outcome.result, message, summary: outcome.summary, rolledBackTo },
    event: { type: 'Warning', reason: rolledBackTo ? 'RolledBack' : outcome.reason, message: `${short(revision)}: ${description}` },
    notification: { event: rolledBackTo ? 'rolled_back' : 'deploy_failed', revision, rolledBackTo, message: description, deliveryId },
  };
}
