import type { KubeObject } from '../../kube/objects.js';
import { int, str, unobservedGeneration } from './fields.js';
import { healthy, progressing, type Health } from './types.js';

/** apps/v1 DaemonSet: one pod per eligible node, updated (RollingUpdate only) and available. */
export function daemonSetHealth(object: KubeObject): Health {
  const unobserved = unobservedGeneration(object, true);
  if (unobserved) return unobserved;

  const desired = int(object, 'status.desiredNumberScheduled') ?? 0;
  const updated = int(object, 'status.updatedNumberScheduled') ?? 0;
  const available = int(object, 'status.numberAvailable') ?? 0;
  // OnDelete: pods are replaced only when someone deletes them, so old pods are expected
  const onDelete = str(object, 'spec.updateStrategy.type') === 'OnDelete';

  if (!onDelete && updated < desired) return progressing(`${updated}/${desired} pods updated`);
  if (available < desired) return progressing(`${available}/${desired} pods available`);
  if (desired === 0) return healthy('no nodes to run on');
  return healthy(`${available}/${desired} pods available${onDelete ? `; OnDelete, ${updated}/${desired} on the new revision` : ''}`);
}
