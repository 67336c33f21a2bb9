import type { KubeObject } from '../../kube/objects.js';
import { count, int, str, unobservedGeneration } from './fields.js';
import { healthy, progressing, type Health } from './types.js';

/**
 * apps/v1 StatefulSet. Readiness is awaited for every strategy; the rollout itself only for
 * RollingUpdate, up to the partition (pods below it keep the old revision on purpose).
 */
export function statefulSetHealth(object: KubeObject): Health {
  const unobserved = unobservedGeneration(object, true);
  if (unobserved) return unobserved;

  const wanted = int(object, 'spec.replicas') ?? 1;
  const replicas = int(object, 'status.replicas') ?? 0;
  const ready = int(object, 'status.readyReplicas') ?? 0;
  const available = int(object, 'status.availableReplicas');
  const updated = int(object, 'status.updatedReplicas') ?? 0;

  if (ready < wanted) return progressing(`${ready}/${wanted} pods ready`);
  // availableReplicas honours minReadySeconds; clusters before 1.22 do not report it
  if (available !== undefined && available < wanted) return progressing(`${available}/${wanted} pods available`);
  if (replicas > wanted) return progressing(`${count(replicas - wanted, 'pod')} pending termination`);

  // OnDelete: the controller replaces a pod only when someone deletes it, so there is no rollout to wait for
  if (str(object, 'spec.updateStrategy.type') === 'OnDelete') {
    return healthy(`${ready}/${wanted} pods ready; OnDelete, ${updated}/${wanted} on the new revision`);
  }
  const partition = int(object, 'spec.updateStrategy.rollingUpdate.partition') ?? 0;
  if (partition > 0) {
    const target = Math.max(0, wanted - partition);
    if (updated < target) return progressing(`${updated}/${target} pods updated (partition ${partition})`);
    return healthy(`partitioned rollout complete: ${updated}/${wanted} pods updated (partition ${partition})`);
  }
  if (updated < wanted) return progressing(`${updated}/${wanted} pods updated`);
  // the controller moves currentRevision to updateRevision once every pod is updated and ready
  const current = str(object, 'status.currentRevision');
  const update = str(object, 'status.updateRevision');
  if (update !== undefined && current !== update) return progressing(`rolling update to revision ${update}: ${updated}/${wanted} pods updated`);
  return healthy(`${ready}/${wanted} pods ready`);
}
