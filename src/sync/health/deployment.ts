import type { KubeObject } from '../../kube/objects.js';
import { bool, clip, conditionsOf, count, int, reasonAndMessage, trueCondition, unobservedGeneration } from './fields.js';
import { degraded, healthy, progressing, suspended, type Health } from './types.js';

/** apps/v1 Deployment, in the order kubectl rollout status checks a rollout. */
export function deploymentHealth(object: KubeObject): Health {
  const unobserved = unobservedGeneration(object, true);
  if (unobserved) return unobserved;

  const wanted = int(object, 'spec.replicas') ?? 1;
  const replicas = int(object, 'status.replicas') ?? 0;
  const updated = int(object, 'status.updatedReplicas') ?? 0;
  const available = int(object, 'status.availableReplicas') ?? 0;
  const conditions = conditionsOf(object);

  // the controller's own verdict once spec.progressDeadlineSeconds passed without progress
  const progress = conditions.find((c) => c.type === 'Progressing');
  if (progress?.reason === 'ProgressDeadlineExceeded') {
    const detail = progress.message ? ` (${clip(progress.message)})` : '';
    return degraded(`ProgressDeadlineExceeded; ${updated}/${wanted} new pods updated, ${available} available${detail}`);
  }
  if (bool(object, 'spec.paused')) return suspended(`rollout paused; ${updated}/${wanted} new pods updated`);

  // e.g. FailedCreate from a quota: not final (the quota may free up) but the reason to show
  const failure = trueCondition(conditions, 'ReplicaFailure');
  const why = failure ? `; ${reasonAndMessage(failure, 'ReplicaFailure')}` : '';
  if (updated < wanted) return progressing(`${updated}/${wanted} new pods updated${why}`);
  if (replicas > updated) return progressing(`${count(replicas - updated, 'old pod')} pending termination`);
  if (available < updated) return progressing(`${available}/${updated} new pods available${why}`);
  return healthy(wanted === 0 ? 'scaled to 0' : `${available}/${wanted} pods available`);
}
