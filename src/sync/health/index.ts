import type { HealthConfig } from '../../config/health.js';
import { groupOf } from '../../kube/keys.js';
import type { KubeObject } from '../../kube/objects.js';
import { conditionsHealth } from './conditions.js';
import { customCheckFor, customHealth } from './custom.js';
import { daemonSetHealth } from './daemonset.js';
import { deploymentHealth } from './deployment.js';
import { MalformedObjectError, str } from './fields.js';
import { hpaHealth } from './hpa.js';
import { ingressHealth } from './ingress.js';
import { jobHealth } from './job.js';
import { podHealth } from './pod.js';
import { pvcHealth } from './pvc.js';
import { serviceHealth } from './service.js';
import { statefulSetHealth } from './statefulset.js';
import { healthy, progressing, type Health } from './types.js';

export { describeUnhealthy, progressLine, type HealthEntry } from './describe.js';
export { healthRank, worstHealth, worstOf, type Health, type HealthStatus } from './types.js';
export { expressionAnnotations } from './custom.js';

/**
 * A target's health settings (`targets[].health`): custom checks in CEL, and whether
 * LoadBalancer Services and Ingresses wait for an address. Absent: no custom checks, and wait.
 */
export type HealthOptions = Partial<HealthConfig>;

/** `driftless.io/health-check: disabled` on an object: it is healthy once applied, whatever its kind. */
export const healthCheckAnnotation = 'driftless.io/health-check';

/** Checks by `group/Kind`; the core group is empty, so `/Pod`. */
const checks: Record<string, (object: KubeObject, options: HealthOptions) => Health> = {
  'apps/Deployment': deploymentHealth,
  'apps/StatefulSet': statefulSetHealth,
  'apps/DaemonSet': daemonSetHealth,
  'batch/Job': jobHealth,
  'autoscaling/HorizontalPodAutoscaler': hpaHealth,
  'networking.k8s.io/Ingress': (object, options) => ingressHealth(object, options.loadBalancerAddresses ?? true),
  '/PersistentVolumeClaim': pvcHealth,
  '/Pod': podHealth,
  '/Service': (object, options) => serviceHealth(object, options.loadBalancerAddresses ?? true),
};

const disabled = (object: Pick<KubeObject, 'metadata'>) => object.metadata.annotations?.[healthCheckAnnotation] === 'disabled';

/**
 * Whether an object, as Git declares it, can be anything but healthy once applied: workloads
 * with a check of their own, LoadBalancer Services and Ingresses while addresses are awaited,
 * kinds with a custom check (the target's or the object's annotations), and custom resources
 * (their controllers report through conditions). Built-in kinds without a check (ConfigMap,
 * ClusterIP Service, RBAC, ...) and objects annotated `driftless.io/health-check: disabled`
 * are healthy once the API server took them, so waiting never needs to read them again.
 */
export function mayBecomeUnhealthy(object: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'> & { spec?: unknown }, options: HealthOptions = {}): boolean {
  if (disabled(object)) return false;
  if (customCheckFor(object, options.checks ?? [])) return true;
  const group = groupOf(object.apiVersion);
  const key = `${group}/${object.kind}`;
  const awaitAddresses = options.loadBalancerAddresses ?? true;
  if (key === '/Service') return awaitAddresses && (object.spec as { type?: unknown } | undefined)?.type === 'LoadBalancer';
  if (key === 'networking.k8s.io/Ingress') return awaitAddresses;
  if (checks[key]) return true;
  const builtIn = group === '' || !group.includes('.') || group.endsWith('.k8s.io');
  return !builtIn;
}

/**
 * The health of a live object; undefined (not found) is Missing. In order: an object being
 * deleted is Progressing; `driftless.io/health-check: disabled` is Healthy; a custom check (the
 * object's `driftless.io/health-check-*` annotations, else the target's check for its group and
 * kind) replaces the built-in one; then the kind's own check; then the Ready / Available
 * conditions; and Healthy "applied" when there are none.
 */
export function healthOf(object: KubeObject | undefined, options: HealthOptions = {}): Health {
  if (!object) return { status: 'Missing', message: 'not found' };
  try {
    // finalizers still running: the object is on its way out, whatever its status says
    if (str(object, 'metadata.deletionTimestamp') !== undefined) return progressing('being deleted');
    if (disabled(object)) return healthy(`not checked (${healthCheckAnnotation}: disabled)`);
    const custom = customCheckFor(object, options.checks ?? []);
    if (custom) return customHealth(object, custom);
    const check = checks[`${groupOf(object.apiVersion)}/${object.kind}`];
    if (check) return check(object, options);
    return conditionsHealth(object) ?? healthy('applied');
  } catch (err) {
    if (err instanceof MalformedObjectError) return { status: 'Unknown', message: `cannot read the object: ${err.message}` };
    throw err;
  }
}
