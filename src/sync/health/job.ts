import type { KubeObject } from '../../kube/objects.js';
import { bool, conditionsOf, int, reasonAndMessage, trueCondition } from './fields.js';
import { degraded, healthy, progressing, suspended, type Health } from './types.js';

/**
 * batch/v1 Job. Since Kubernetes 1.31 the controller sets FailureTarget / SuccessCriteriaMet as soon
 * as the outcome is decided and Failed / Complete once the pods are gone. A decided failure fails at
 * once; success waits for Complete, so nothing the Job started is still running.
 */
export function jobHealth(object: KubeObject): Health {
  const conditions = conditionsOf(object);
  const succeeded = int(object, 'status.succeeded') ?? 0;

  if (trueCondition(conditions, 'Complete')) return healthy(`complete, ${succeeded} succeeded`);
  const failed = trueCondition(conditions, 'Failed') ?? trueCondition(conditions, 'FailureTarget');
  if (failed) return degraded(reasonAndMessage(failed, 'failed'));
  if (bool(object, 'spec.suspend')) return suspended('suspended');

  const active = int(object, 'status.active') ?? 0;
  const failures = int(object, 'status.failed') ?? 0;
  const decided = trueCondition(conditions, 'SuccessCriteriaMet') ? '; success criteria met, pods terminating' : '';
  return progressing(`${active} active, ${succeeded} succeeded${failures > 0 ? `, ${failures} failed` : ''}${decided}`);
}
