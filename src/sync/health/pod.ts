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

type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

/**
 * The first container (init containers first) waiting for a reason that will not clear on its own.
 * Under `OnFailure` a CrashLoopBackOff is the kubelet retrying a run that failed, which is what
 * that policy asks for, so it is not counted here (see `podHealth`).
 */
function stuckContainer(object: KubeObject, policy: RestartPolicy): string | undefined {
  for (const container of containerStatuses(object)) {
    const reason = str(container, 'state.waiting.reason');
    if (reason === undefined || !stuckReasons.has(reason)) continue;
    if (reason === 'CrashLoopBackOff' && policy === 'OnFailure') continue;
    return waitingLine(container, reason);
  }
  return undefined;
}

function containerStatuses(object: KubeObject): Record<string, unknown>[] {
  return [...records(object, 'status.initContainerStatuses'), ...records(object, 'status.containerStatuses')];
}

function waitingLine(container: Record<string, unknown>, reason: string): string {
  const name = str(container, 'name') ?? '?';
  // the back-off message only repeats the pod name; the last exit says why it crashes
  const exit = int(container, 'lastState.terminated.exitCode');
  if (reason === 'CrashLoopBackOff' && exit !== undefined) {
    return `${name}: CrashLoopBackOff (last exit ${exit}${lastReason(container)})`;
  }
  return `${name}: ${reasonAndMessage({ reason, message: str(container, 'state.waiting.message') }, reason)}`;
}

function lastReason(container: Record<string, unknown>): string {
  const reason = str(container, 'lastState.terminated.reason');
  return reason ? `, ${reason}` : '';
}

/** The first container that ended with a non-zero exit code: `migrate exited 3 (Error)`. */
function failedContainer(object: KubeObject): string | undefined {
  for (const container of containerStatuses(object)) {
    const exit = int(container, 'state.terminated.exitCode');
    if (exit === undefined || exit === 0) continue;
    const reason = str(container, 'state.terminated.reason');
    return `${str(container, 'name') ?? '?'} exited ${exit}${reason ? ` (${reason})` : ''}`;
  }
  return undefined;
}

/**
 * v1 Pod by phase, readiness and `spec.restartPolicy` (after gitops-engine health_pod.go):
 * - Succeeded is Healthy, Failed is Degraded (the pod's reason, else the first container that failed);
 * - `Always` (the default): Running and Ready is Healthy; a container stuck in a back-off or on an
 *   image or config error is Degraded;
 * - `OnFailure` and `Never`: the pod is meant to finish, so Running is Progressing until it
 *   Succeeded, even when Ready. Under `Never` a container that exited non-zero is Degraded at
 *   once: it will not run again, though the phase stays Running while other containers run (Argo
 *   waits for the Failed phase). Under `OnFailure` a CrashLoopBackOff is Progressing, the kubelet
 *   retrying as asked; it is named at the timeout.
 * Where this differs from Argo CD, and why: Argo marks back-off and `Err*` waiting reasons
 * Degraded only under `Always` (its hook pods may get their image later); here image and config
 * errors are Degraded under every policy, since Driftless has no hook pods and no restart clears
 * them. Argo also marks an `Always` pod Degraded when it is not ready and a container has
 * terminated before; here that is Progressing (a liveness restart may recover) until the
 * kubelet backs off.
 */
export function podHealth(object: KubeObject): Health {
  const policy = (str(object, 'spec.restartPolicy') ?? 'Always') as RestartPolicy;
  const phase = str(object, 'status.phase');
  if (phase === 'Succeeded') return healthy('Succeeded');
  if (phase === 'Failed') {
    const reason = str(object, 'status.reason');
    const message = str(object, 'status.message');
    if (reason || message) return degraded(reasonAndMessage({ reason, message }, 'Failed'));
    const failed = failedContainer(object);
    return degraded(failed ? `Failed: ${failed}` : 'Failed');
  }
  if (policy === 'Never') {
    const failed = failedContainer(object);
    if (failed) return degraded(`${failed}; restartPolicy Never, so it will not run again`);
  }
  const stuck = stuckContainer(object, policy);
  if (stuck) return degraded(stuck);

  const conditions = conditionsOf(object);
  const containers = records(object, 'status.containerStatuses');
  const ready = containers.filter((c) => c['ready'] === true).length;
  if (phase === 'Running') {
    if (policy !== 'Always') {
      const looping = containerStatuses(object).find((c) => str(c, 'state.waiting.reason') === 'CrashLoopBackOff');
      if (looping) return progressing(`restarting after a failure (restartPolicy OnFailure): ${waitingLine(looping, 'CrashLoopBackOff')}`);
      return progressing(`running, ${ready}/${containers.length} containers ready; restartPolicy ${policy}: healthy once it succeeds`);
    }
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
