import type { KubeObject } from '../../kube/objects.js';
import { conditionsOf, int, reasonAndMessage, trueCondition, unobservedGeneration, type Condition } from './fields.js';
import { degraded, healthy, progressing, worstHealth, type Health } from './types.js';

/** Conditions that say "this object does what its spec asks" across controllers and CRDs. */
const readiness = [
  { type: 'Ready', yes: 'ready', no: 'not ready' },
  { type: 'Available', yes: 'available', no: 'not available' },
] as const;

/**
 * Health from the conditions any object may carry (custom resources included), following kstatus:
 * a stale `status.observedGeneration` or `Reconciling=True` is Progressing, `Stalled=True` is Degraded,
 * then `Ready` / `Available`. Ready=False is Progressing, not Degraded: most controllers use it for
 * "not yet" (cert-manager Issuing, a Crossplane resource Creating); the wait timeout names its reason.
 * Undefined when the object has none of these, i.e. nothing to wait for.
 */
export function conditionsHealth(object: KubeObject): Health | undefined {
  const unobserved = unobservedGeneration(object, false);
  if (unobserved) return unobserved;

  const conditions = conditionsOf(object);
  const stalled = trueCondition(conditions, 'Stalled');
  if (stalled) return degraded(reasonAndMessage(stalled, 'stalled'));
  const reconciling = trueCondition(conditions, 'Reconciling');
  if (reconciling) return progressing(reasonAndMessage(reconciling, 'reconciling'));

  const generation = int(object, 'metadata.generation');
  const found: Health[] = [];
  for (const { type, yes, no } of readiness) {
    const condition = conditions.find((c) => c.type === type);
    if (condition) found.push(fromCondition(condition, generation, yes, no));
  }
  return found.length > 0 ? worstHealth(found) : undefined;
}

function fromCondition(condition: Condition, generation: number | undefined, yes: string, no: string): Health {
  // metav1.Condition records the generation it was computed for; an older one is about an older spec
  if (generation !== undefined && condition.observedGeneration !== undefined && condition.observedGeneration < generation) {
    return progressing(`waiting for the controller to observe generation ${generation}`);
  }
  if (condition.status === 'True') return healthy(yes);
  const why = reasonAndMessage(condition, '');
  return progressing(why ? `${no} (${why})` : no);
}
