import { setTimeout as sleep } from 'node:timers/promises';
import { ManifestError, type ObjectProblem } from '../errors.js';
import { deleteObject, getObject, serverSideApply, type KubeObject } from '../kube/objects.js';
import type { ResourceInfo } from '../kube/discovery.js';
import { isKind, namespaceKind } from '../kube/keys.js';
import type { Change } from './changeset.js';
import { subjectOf, type Manifest } from './manifest.js';
import { normalise } from './normalise.js';
import { ownershipKeys } from './ownership.js';
import type { PlanContext, PlannedObject } from './plan.js';
import { waitHealthy, type WaitOptions } from './wait.js';

/**
 * Helm hooks, mapped onto sync phases the way Argo CD documents it
 * (https://argo-cd.readthedocs.io/en/stable/user-guide/helm/#helm-hooks): pre-install and
 * pre-upgrade run before the main set is applied, post-install and post-upgrade after it is
 * healthy (a sync is neither an install nor an upgrade, so both run every sync); test hooks are
 * never rendered; pre/post-delete and rollback hooks are skipped (a target is never deleted as a
 * whole, and a rollback here is a sync of an older commit); crd-install objects are ordinary
 * objects. Hooks stay out of the ApplySet inventory, so prune never touches them.
 */

/** `helm.sh/hook`, `helm.sh/hook-weight`, `helm.sh/hook-delete-policy`, as Helm defines them. */
export const hookKeys = { hook: 'helm.sh/hook', weight: 'helm.sh/hook-weight', deletePolicy: 'helm.sh/hook-delete-policy' } as const;
/** Set on every hook Driftless creates, to the target's name: only such an object is ever replaced or deleted as a hook. */
export const hookOfAnnotation = 'driftless.io/hook-of';

/** When a hook runs: before the main set is applied, or after it is healthy. */
export type HookPhase = 'PreSync' | 'PostSync';
/** Helm's delete policies; `before-hook-creation` is the default when a hook names none, as in Helm. */
export type HookDeletePolicy = 'before-hook-creation' | 'hook-succeeded' | 'hook-failed';

const phaseOfEvent: Record<string, HookPhase | 'skip' | 'object'> = {
  'pre-install': 'PreSync',
  'pre-upgrade': 'PreSync',
  'post-install': 'PostSync',
  'post-upgrade': 'PostSync',
  'crd-install': 'object',
  'pre-delete': 'skip',
  'post-delete': 'skip',
  'pre-rollback': 'skip',
  'post-rollback': 'skip',
  test: 'skip',
  'test-success': 'skip',
  'test-failure': 'skip',
};

/** One hook of a render: its manifest, the events it names, its phases, weight and delete policies. */
export interface Hook {
  manifest: Manifest;
  /** The `helm.sh/hook` events, e.g. `['pre-install', 'pre-upgrade']`. */
  events: string[];
  phases: HookPhase[];
  /** `helm.sh/hook-weight`: lower runs first, 0 when absent. */
  weight: number;
  deletePolicies: HookDeletePolicy[];
}

/** A hook resolved against the cluster and the target's policy, ready to run. */
export interface PlannedHook extends Hook {
  info: ResourceInfo;
  desired: KubeObject;
  subject: string;
}

const list = (value: string | undefined) => (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);

/**
 * Takes the hooks out of a render: objects whose `helm.sh/hook` names a phase become hooks,
 * those naming only skipped events are dropped, `crd-install` and unannotated objects stay
 * objects. An unknown event or delete policy, or a weight that is not an integer, is a problem on
 * the object's file. Pure.
 */
export function splitHooks(manifests: readonly Manifest[]): { objects: Manifest[]; hooks: Hook[]; problems: ObjectProblem[] } {
  const objects: Manifest[] = [];
  const hooks: Hook[] = [];
  const problems: ObjectProblem[] = [];
  for (const manifest of manifests) {
    const annotations = manifest.object.metadata.annotations as Record<string, string> | undefined;
    const events = list(annotations?.[hookKeys.hook]);
    const mapped = events.map((e) => phaseOfEvent[e]);
    const problem = (message: string) => problems.push({ subject: subjectOf(manifest.object), file: manifest.file, ...(manifest.line === undefined ? {} : { line: manifest.line }), message });
    if (events.length === 0 || mapped.every((m) => m === 'object')) {
      objects.push(manifest);
      continue;
    }
    const unknown = events.filter((e) => phaseOfEvent[e] === undefined);
    if (unknown.length > 0) problem(`unknown ${hookKeys.hook} event ${unknown.join(', ')}`);
    const weightText = annotations?.[hookKeys.weight]?.trim() ?? '0';
    if (!/^-?\d+$/.test(weightText)) problem(`${hookKeys.weight} must be an integer, not "${weightText}"`);
    const policies = list(annotations?.[hookKeys.deletePolicy]);
    const badPolicy = policies.filter((p) => !['before-hook-creation', 'hook-succeeded', 'hook-failed'].includes(p));
    if (badPolicy.length > 0) problem(`unknown ${hookKeys.deletePolicy} ${badPolicy.join(', ')}`);
    const phases = [...new Set(mapped.filter((m): m is HookPhase => m === 'PreSync' || m === 'PostSync'))];
    if (phases.length === 0 || unknown.length > 0 || badPolicy.length > 0 || !/^-?\d+$/.test(weightText)) continue;
    hooks.push({ manifest, events, phases, weight: Number(weightText), deletePolicies: (policies.length > 0 ? policies : ['before-hook-creation']) as HookDeletePolicy[] });
  }
  return { objects, hooks, problems };
}

/**
 * Resolves each hook's kind and namespace and holds it to the target's policy (allowed
 * namespaces, cluster-scoped kinds) as planning does for objects, without writing anything.
 * Every problem is collected into one ManifestError of the plan stage.
 */
export async function planHooks(hooks: readonly Hook[], ctx: PlanContext): Promise<PlannedHook[]> {
  const { policy, discovery, parent } = ctx;
  const problems: ObjectProblem[] = [];
  const planned: PlannedHook[] = [];
  for (const hook of hooks) {
    const { object } = hook.manifest;
    const at = { file: hook.manifest.file, ...(hook.manifest.line === undefined ? {} : { line: hook.manifest.line }) };
    const info = await discovery.resourceFor(object.apiVersion, object.kind);
    if (!info) {
      problems.push({ subject: subjectOf(object), ...at, message: `unknown kind ${object.kind} in ${object.apiVersion}: the cluster does not serve it (hooks run before CRDs of the same chart exist)` });
      continue;
    }
    const desired = structuredClone(object) as KubeObject;
    normalise(desired, info, policy.namespace);
    const subject = subjectOf(desired);
    const namespace = desired.metadata.namespace;
    if (namespace !== undefined && !policy.allowedNamespaces.includes(namespace)) {
      problems.push({ subject, ...at, message: `namespace ${namespace} is not allowed for this target (allowedNamespaces: ${policy.allowedNamespaces.join(', ')})` });
      continue;
    }
    if (!info.namespaced && !policy.allowClusterScoped && !(isKind(object, namespaceKind) && policy.allowedNamespaces.includes(object.metadata.name))) {
      problems.push({ subject, ...at, message: `cluster-scoped ${object.kind} is not allowed for this target (allowClusterScoped: false)` });
      continue;
    }
    desired.metadata.annotations = { ...desired.metadata.annotations, [hookOfAnnotation]: parent.target, [ownershipKeys.target]: parent.target };
    planned.push({ ...hook, info, desired, subject });
  }
  if (problems.length > 0) throw new ManifestError('plan', problems);
  return planned;
}

/** Options of one phase's run. */
export interface HookRunOptions {
  /** How long the phase's hooks together may take to become healthy, in milliseconds. */
  timeoutMs: number;
  /** The stage a failure is reported under: pre-sync hooks fail the apply, post-sync hooks the wait. */
  stage: 'apply' | 'wait';
  health?: WaitOptions['health'];
  signal?: AbortSignal;
}

/** Deletes a hook this target created and waits until it is gone, so a Job of the same name can be created again. */
async function deleteHook(hook: PlannedHook, ctx: PlanContext, deadline: number, signal?: AbortSignal): Promise<void> {
  const { namespace, name } = hook.desired.metadata;
  await deleteObject(ctx.client, hook.info, namespace, name);
  while (await getObject(ctx.client, hook.info, namespace, name)) {
    if (Date.now() > deadline) throw new ManifestError('apply', [{ subject: hook.subject, file: hook.manifest.file, message: 'the previous run of this hook is still being deleted' }]);
    await sleep(250, undefined, { signal });
  }
}

/**
 * Runs one phase's hooks in weight order (hooks of one weight together): each is replaced when
 * its delete policy says `before-hook-creation` (the default), applied, and waited for until
 * healthy (a Job until it completes); after success the `hook-succeeded` ones are deleted, after a
 * failure the `hook-failed` ones. An existing object of the same name that is not this target's
 * hook is never replaced. A failure (Degraded, timeout, refused) is a permanent ManifestError
 * naming the hook and its file. Returns one Change per hook run.
 */
export async function runHooks(phase: HookPhase, hooks: readonly PlannedHook[], ctx: PlanContext, options: HookRunOptions): Promise<Change[]> {
  const due = hooks.filter((h) => h.phases.includes(phase));
  const deadline = Date.now() + options.timeoutMs;
  const changes: Change[] = [];
  const weights = [...new Set(due.map((h) => h.weight))].sort((a, b) => a - b);
  const describe = (h: PlannedHook) => `${phase} hook (${h.events.join(', ')})`;
  for (const weight of weights) {
    const group = due.filter((h) => h.weight === weight);
    const running: PlannedObject[] = [];
    for (const hook of group) {
      const { namespace, name } = hook.desired.metadata;
      const live = await getObject(ctx.client, hook.info, namespace, name);
      if (live && live.metadata.annotations?.[hookOfAnnotation] !== ctx.parent.target) {
        throw new ManifestError(options.stage, [{ subject: hook.subject, file: hook.manifest.file, message: `${describe(hook)}: an object of this name exists and is not a hook of this target; it is left alone` }]);
      }
      const replace = live !== undefined && hook.deletePolicies.includes('before-hook-creation');
      if (replace) await deleteHook(hook, ctx, deadline, options.signal);
      await serverSideApply(ctx.client, hook.info, hook.desired);
      const change: Change = { subject: hook.subject, file: hook.manifest.file, action: live && !replace ? 'configured' : 'created', reason: describe(hook) };
      changes.push(change);
      running.push({ manifest: hook.manifest, info: hook.info, desired: hook.desired, deferred: false, change });
    }
    const cleanUp = (policy: HookDeletePolicy) => Promise.all(group.filter((h) => h.deletePolicies.includes(policy)).map((h) => deleteObject(ctx.client, h.info, h.desired.metadata.namespace, h.desired.metadata.name)));
    try {
      await waitHealthy(running, ctx, { timeoutMs: Math.max(deadline - Date.now(), 0), health: options.health, signal: options.signal });
    } catch (err) {
      if (!(err instanceof ManifestError)) throw err;
      await cleanUp('hook-failed');
      const runningHook = (subject: string) => group.find((h) => h.subject === subject);
      throw new ManifestError(options.stage, err.problems.map((p) => ({ ...p, message: `${runningHook(p.subject) ? describe(runningHook(p.subject)!) : 'hook'} failed: ${p.message}` })));
    }
    await cleanUp('hook-succeeded');
    for (const change of changes.filter((c) => group.some((h) => h.subject === c.subject && h.deletePolicies.includes('hook-succeeded')))) {
      change.reason = `${change.reason}; deleted after it succeeded`;
    }
  }
  return changes;
}
