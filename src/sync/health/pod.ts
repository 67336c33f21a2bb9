import type { KubeObject } from '../../kube/objects.js';
import { clip, conditionsOf, int, reasonAndMessage, records, str, trueCondition } from './fields.js';
import { degraded, healthy, progressing, type Health } from './types.js';

/** Waiting reasons that do not clear without a change (a new image, a fixed command, a missing Secret). */
const stuckReasons = new Set([
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'ErrImageNeverPull',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);

/** The first container (init containers first) waiting for a reason that will not clear on its own. */
function stuckContainer(object: KubeObject): string | undefined {
  const statuses = [...records(object, 'status.initContainerStatuses'), ...records(object, 'status.containerStatuses')];
  for (const container of statuses) {
    const reason = str(container, 'state.waiting.reason');
    if (reason === undefined || !stuckReasons.has(reason)) continue;
    const name = str(container, 'name') ?? '?';
    // the back-off message only repeats the pod name; the last exit says why it crashes
    const exit = int(container, 'lastState.terminated.exitCode');
    if (reason === 'CrashLoopBackOff' && exit !== undefined) {
      return `${name}: CrashLoopBackOff (last exit ${exit}${lastReason(container)})`;
    }
    return `${name}: ${reasonAndMessage({ reason, message: str(container, 'state.waiting.message') }, reason)}`;
  }
  return undefined;
}

function lastReason(container: Record<string, unknown>): string {
  const reason = str(container, 'lastState.terminated.reason');
  return reason ? `, ${reason}` : '';
}

/** v1 Pod by phase and readiness; a container stuck in a back-off is Degraded. */
export function podHealth(object: KubeObject): Health {
  const phase = str(object, 'status.phase');
  if (phase === 'Succeeded') return healthy('Succeeded');
  if (phase === 'Failed') {
    const reason = str(object, 'status.reason');
    const message = str(object, 'status.message');
    return degraded(reason || message ? reasonAndMessage({ reason, message }, 'Failed') : 'Failed');
  }
  const stuck = stuckContainer(object);
  if (stuck) return degraded(stuck);

  const conditions = conditionsOf(object);
  const containers = records(object, 'status.containerStatuses');
  const ready = containers.filter((c) => c['ready'] === true).length;
  if (phase === 'Running') {
    if (trueCondition(conditions, 'Ready')) return healthy(`running, ${ready}/${containers.length} containers ready`);
    return progressing(`running, ${ready}/${containers.length} containers ready`);
  }
  if (phase === 'Pending' || phase === undefined) {
    const scheduled = conditions.find((c) => c.type === 'PodScheduled');
    if (scheduled?.status === 'False') return progressing(reasonAndMessage(scheduled, 'not scheduled'));
    const waiting = containers.map((c) => str(c, 'state.waiting.reason')).find((r) => r !== undefined);
    return progressing(waiting ? `Pending: ${waiting}` : 'Pending');
  }
  return { status: 'Unknown', message: clip(`phase ${phase}`) };
}
