import type { KubeObject } from '../../kube/objects.js';
import { conditionsOf, int, MalformedObjectError, reasonAndMessage, str, unobservedGeneration, type Condition } from './fields.js';
import { degraded, healthy, progressing, suspended, type Health } from './types.js';

/** Where autoscaling/v1 keeps the v2 conditions: a JSON list in an annotation the API server writes. */
const v1ConditionsAnnotation = 'autoscaling.alpha.kubernetes.io/conditions';

/** ScalingActive=False reasons that come from the HPA's own spec: no metric reading will clear them. */
const badSpec = new Set(['InvalidSelector', 'InvalidMetricSourceType']);

function v1Conditions(object: KubeObject): Condition[] {
  const text = object.metadata.annotations?.[v1ConditionsAnnotation];
  if (text === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new MalformedObjectError(`annotation ${v1ConditionsAnnotation} is not JSON`);
  }
  return conditionsOf({ apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: '' }, status: { conditions: parsed } });
}

/**
 * autoscaling HorizontalPodAutoscaler, v2 conditions or the v1 annotation carrying them. Each
 * condition is judged on its own, where Argo CD (gitops-engine health_hpa.go) takes the first
 * condition in list order that is either "healthy" or "degraded", so an HPA whose AbleToScale=True
 * comes first is Healthy even while ScalingActive=False says it has no metrics. Here:
 * - no conditions yet: Progressing (the controller has not reconciled it; Argo: "Waiting to Autoscale");
 * - AbleToScale=False (FailedGetScale: the target is missing or not scalable; FailedUpdateScale):
 *   Degraded, as in Argo; backoff reasons are Progressing;
 * - ScalingActive=False: InvalidSelector / InvalidMetricSourceType are Degraded (a spec mistake);
 *   ScalingDisabled (the target is scaled to 0) is Suspended, a choice; a metric that cannot be read
 *   yet (FailedGet*Metric) is Progressing, unlike Argo's Degraded for FailedGetResourceMetric,
 *   since metrics-server reports new pods only after its first scrape: at the timeout the reason is named;
 * - otherwise Healthy, with ScalingLimited (at min or max replicas) said but not a failure.
 */
export function hpaHealth(object: KubeObject): Health {
  const unobserved = unobservedGeneration(object, false);
  if (unobserved) return unobserved;
  const conditions = object.apiVersion === 'autoscaling/v1' ? v1Conditions(object) : conditionsOf(object);
  const able = conditions.find((c) => c.type === 'AbleToScale');
  const active = conditions.find((c) => c.type === 'ScalingActive');
  if (!able && !active) return progressing('waiting for the autoscaler to read its target');

  if (able?.status === 'False') {
    const why = reasonAndMessage(able, 'not able to scale');
    return able.reason?.startsWith('Backoff') ? progressing(`backing off: ${why}`) : degraded(why);
  }
  if (active?.status === 'False') {
    const why = reasonAndMessage(active, 'scaling not active');
    if (active.reason && badSpec.has(active.reason)) return degraded(why);
    if (active.reason === 'ScalingDisabled') return suspended(why);
    return progressing(why);
  }
  if (!able || !active || able.status !== 'True' || active.status !== 'True') return progressing('waiting for the autoscaler to read its metrics');

  const current = int(object, 'status.currentReplicas') ?? 0;
  const desired = int(object, 'status.desiredReplicas') ?? current;
  const limited = conditions.find((c) => c.type === 'ScalingLimited' && c.status === 'True');
  const range = `${int(object, 'spec.minReplicas') ?? 1}-${int(object, 'spec.maxReplicas') ?? '?'}`;
  const target = str(object, 'spec.scaleTargetRef.name');
  const base = `${current} of ${range} replicas${desired !== current ? `, scaling to ${desired}` : ''}${target ? ` (${target})` : ''}`;
  return healthy(limited ? `${base}; limited: ${limited.reason ?? 'ScalingLimited'}` : base);
}
