import type { KubeObject } from '../../kube/objects.js';
import { str } from './fields.js';
import { degraded, healthy, progressing, type Health } from './types.js';

/**
 * v1 PersistentVolumeClaim by phase. A claim on a WaitForFirstConsumer class stays Pending until a
 * pod using it is scheduled, so it turns Healthy only with its consumer.
 */
export function pvcHealth(object: KubeObject): Health {
  const phase = str(object, 'status.phase');
  const volume = str(object, 'spec.volumeName');
  switch (phase) {
    case 'Bound':
      return healthy(volume ? `bound to ${volume}` : 'bound');
    case 'Lost':
      return degraded(`Lost: volume ${volume ?? '(unknown)'} no longer exists`);
    case 'Pending':
    case undefined:
      return progressing('Pending: no volume bound yet');
    default:
      return { status: 'Unknown', message: `unexpected phase ${phase}` };
  }
}
