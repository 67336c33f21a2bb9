import { groupOf } from '../../kube/discovery.js';
import type { KubeObject } from '../../kube/objects.js';
import { conditionsHealth } from './conditions.js';
import { daemonSetHealth } from './daemonset.js';
import { deploymentHealth } from './deployment.js';
import { MalformedObjectError, str } from './fields.js';
import { jobHealth } from './job.js';
import { podHealth } from './pod.js';
import { pvcHealth } from './pvc.js';
import { statefulSetHealth } from './statefulset.js';
import { healthy, progressing, type Health } from './types.js';

export { describeUnhealthy, progressLine, type HealthEntry } from './describe.js';
export { healthRank, worstHealth, worstOf, type Health, type HealthStatus } from './types.js';

/** Checks by `group/Kind`; the core group is empty, so `/Pod`. */
const checks: Record<string, (object: KubeObject) => Health> = {
  'apps/Deployment': deploymentHealth,
  'apps/StatefulSet': statefulSetHealth,
  'apps/DaemonSet': daemonSetHealth,
  'batch/Job': jobHealth,
  '/PersistentVolumeClaim': pvcHealth,
  '/Pod': podHealth,
};

/**
 * Whether an object can be anything but healthy once applied: workloads with a check of their
 * own, and custom resources (their controllers report through conditions). Built-in kinds
 * without a check (ConfigMap, Service, RBAC, ...) are healthy once the API server took them,
 * so waiting never needs to read them again.
 */
export function mayBecomeUnhealthy(apiVersion: string, kind: string): boolean {
  const group = groupOf(apiVersion);
  if (checks[`${group}/${kind}`]) return true;
  const builtIn = group === '' || !group.includes('.') || group.endsWith('.k8s.io');
  return !builtIn;
}

/**
 * The health of a live object; undefined (not found) is Missing. Kinds without a check of their own
 * are judged by their Ready / Available conditions, and Healthy "applied" when they have none.
 */
export function healthOf(object: KubeObject | undefined): Health {
  if (!object) return { status: 'Missing', message: 'not found' };
  try {
    // finalizers still running: the object is on its way out, whatever its status says
    if (str(object, 'metadata.deletionTimestamp') !== undefined) return progressing('being deleted');
    const check = checks[`${groupOf(object.apiVersion)}/${object.kind}`];
    if (check) return check(object);
    return conditionsHealth(object) ?? healthy('applied');
  } catch (err) {
    if (err instanceof MalformedObjectError) return { status: 'Unknown', message: `cannot read the object: ${err.message}` };
    throw err;
  }
}
