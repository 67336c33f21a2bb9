import pLimit from 'p-limit';
import type { OwnershipConfig } from '../config/schema.js';
import { KubeApiError, type KubeClient } from '../kube/client.js';
import type { Discovery, ResourceInfo } from '../kube/discovery.js';
import { crdKind, formatGroupKind, isKind, namespaceKind } from '../kube/keys.js';
import { serverSideApply, type KubeObject } from '../kube/objects.js';
import { ManifestError, type ObjectProblem } from '../errors.js';
import { subjectOf, type Manifest } from './manifest.js';
import type { Change, ChangeSet } from './changeset.js';
import { stampApplied, unchangedSinceApplied } from './applied.js';
import { compareObjects, objectDiff } from './diff.js';
import { applySetKeys, readInventory, type ApplySetParent, type InventoryScope } from './inventory.js';
import { readLive, type Declared } from './live.js';
import { findDuplicates, identityKey, normalise } from './normalise.js';
import { isMember, markAdopted, ownershipKeys, ownershipOf, refusal } from './ownership.js';
import { guardPrune } from './prune-guard.js';
import { afterTakeover, describeTakeover, overlay, takeoverOf, type Takeover } from './takeover.js';

/** The policy and defaults of one target that planning enforces. */
export interface PlanPolicy {
  /** Namespace given to namespaced objects that name none. */
  namespace: string;
  allowedNamespaces: readonly string[];
  allowClusterScoped: boolean;
  prune: boolean;
  /** Requests in flight at once against the API server. */
  concurrency: number;
  /** Takeover from other field managers, adoption, and how much one prune may delete. */
  ownership: OwnershipConfig;
}

export interface PlannedObject {
  manifest: Manifest;
  info: ResourceInfo;
  /** What is sent to the API server: normalised, with the ApplySet membership label and Driftless's annotations. */
  desired: KubeObject;
  live?: KubeObject;
  /** Validated only in apply: its CRD or Namespace is created by this same sync, or its fields must change owner first. */
  deferred: boolean;
  change: Change;
  /** Ownership apply moves to Driftless just before writing it (with the object as it is then). */
  takeover?: Takeover;
}

/** A live member of the ApplySet that Git no longer holds: deleted, released (it was adopted), or skipped. */
export interface PrunableObject {
  info: ResourceInfo;
  live: KubeObject;
  change: Change;
}

export interface Plan {
  objects: PlannedObject[];
  prunable: PrunableObject[];
  /** The inventory before this sync, and the one Git asks for. */
  previousScope: InventoryScope;
  scope: InventoryScope;
}

/** What a plan would do: the change of every object Git holds, then of every member it dropped. */
export function planChangeSet(plan: Pick<Plan, 'objects' | 'prunable'>): ChangeSet {
  return [...plan.objects.map((o) => o.change), ...plan.prunable.map((p) => p.change)];
}

export interface PlanContext {
  client: KubeClient;
  discovery: Discovery;
  parent: ApplySetParent;
  policy: PlanPolicy;
  /**
   * Runs `work` under a lock every target of this cluster shares. Apply writes what it planned to
   * create under it, after checking that nobody created it since the plan: two targets declaring
   * the same new object cannot both write it (the second would take it over). Absent: no guard.
   */
  serializeCreates?: <T>(work: () => Promise<T>) => Promise<T>;
}

/** A live object annotated `driftless.io/reconcile: disabled` is left alone: never written, healed or waited for. */
export const reconcileAnnotation = 'driftless.io/reconcile';

/** A manifest resolved against discovery and normalised: what the rest of planning works on. */
interface Resolved {
  manifest: Manifest;
  info: ResourceInfo;
  desired: KubeObject;
  /** Its kind comes from a CRD of this same set that the cluster does not serve yet. */
  crdPending: boolean;
  /** `identityKey` of the object. */
  key: string;
  subject: string;
  file: string;
}

/** Kinds that CRDs in this set will add: usable before the cluster serves them. */
function kindsFromCrds(manifests: readonly Manifest[]): Map<string, ResourceInfo> {
  const kinds = new Map<string, ResourceInfo>();
  for (const { object } of manifests) {
    if (!isKind(object, crdKind)) continue;
    const spec = (object as { spec?: { group?: string; scope?: string; names?: { kind?: string; plural?: string }; versions?: { name: string; subresources?: { status?: object } }[] } }).spec;
    if (!spec?.group || !spec.names?.kind || !spec.names.plural) continue;
    for (const v of spec.versions ?? []) {
      const apiVersion = `${spec.group}/${v.name}`;
      kinds.set(`${apiVersion}/${spec.names.kind}`, { apiVersion, kind: spec.names.kind, plural: spec.names.plural, namespaced: spec.scope !== 'Cluster', statusSubresource: !!v.subresources?.status });
    }
  }
  return kinds;
}

/**
 * Resolves every manifest's kind, normalises it, enforces the target's namespace policy and
 * refuses objects declared twice. Every problem across all objects is collected before failing.
 */
async function resolve(manifests: readonly Manifest[], ctx: PlanContext) {
  const { policy, discovery, parent } = ctx;
  const crdKinds = kindsFromCrds(manifests);
  const problems: ObjectProblem[] = [];
  const resolved: (Resolved | undefined)[] = [];
  const limit = pLimit(policy.concurrency);
  await Promise.all(
    manifests.map((manifest, index) =>
      limit(async () => {
        const { object } = manifest;
        const served = await discovery.resourceFor(object.apiVersion, object.kind);
        const info = served ?? crdKinds.get(`${object.apiVersion}/${object.kind}`);
        if (!info) {
          problems.push({ subject: subjectOf(object), file: manifest.file, line: manifest.line, message: `unknown kind ${object.kind} in ${object.apiVersion}: the cluster does not serve it (is its CRD installed?)` });
          return;
        }
        const desired = structuredClone(object) as KubeObject;
        normalise(desired, info, policy.namespace);
        const namespace = desired.metadata.namespace;
        if (namespace !== undefined && !policy.allowedNamespaces.includes(namespace)) {
          problems.push({ subject: subjectOf(desired), file: manifest.file, line: manifest.line, message: `namespace ${namespace} is not allowed for this target (allowedNamespaces: ${policy.allowedNamespaces.join(', ')})` });
          return;
        }
        // by group and kind: a custom cluster-scoped kind named Namespace is not the target's namespace
        const ownNamespace = isKind(object, namespaceKind) && policy.allowedNamespaces.includes(object.metadata.name);
        if (!info.namespaced && !ownNamespace && !policy.allowClusterScoped) {
          problems.push({ subject: subjectOf(desired), file: manifest.file, line: manifest.line, message: `cluster-scoped ${object.kind} is not allowed for this target (allowClusterScoped: false)` });
          return;
        }
        desired.metadata.labels = { ...desired.metadata.labels, [applySetKeys.partOf]: parent.id };
        desired.metadata.annotations = { ...desired.metadata.annotations, [ownershipKeys.target]: parent.target };
        const key = identityKey(info, namespace, desired.metadata.name);
        // by position in the set, so "defined twice" names the files in the order they were read
        resolved[index] = { manifest, info, desired, crdPending: !served, key, subject: subjectOf(desired), file: manifest.file };
      }),
    ),
  );
  const { unique, problems: duplicates } = findDuplicates(resolved.filter((r): r is Resolved => r !== undefined));
  return { resolved: unique, problems: [...problems, ...duplicates] };
}

/**
 * One declared object against its live version: who owns it (a refusal is added to `problems`),
 * what takeover it needs, and the change its server-side dry run shows.
 */
async function planObject(r: Resolved, live: KubeObject | undefined, namespacePending: boolean, ctx: PlanContext, problems: ObjectProblem[]): Promise<PlannedObject> {
  const { manifest, info, desired, subject, file } = r;
  const { policy, parent } = ctx;
  const planned = (change: Omit<Change, 'subject' | 'file'>, rest: Partial<PlannedObject> = {}): PlannedObject => ({ manifest, info, desired, live, deferred: false, change: { subject, file, ...(manifest.line === undefined ? {} : { line: manifest.line }), ...change }, ...rest });
  if (live?.metadata.annotations?.[reconcileAnnotation] === 'disabled') return planned({ action: 'skipped', reason: `annotated ${reconcileAnnotation}: disabled` });
  const owner = ownershipOf(live, desired, parent);
  const refused = refusal(owner, manifest.object as KubeObject, parent.target, policy.ownership);
  if (refused) {
    problems.push({ subject, file, line: manifest.line, message: refused });
    return planned({ action: 'skipped', reason: refused });
  }
  markAdopted(desired, owner);
  stampApplied(desired);
  const takeover = live && takeoverOf(live, policy.ownership.takeOverFrom);
  // unchanged since we applied it from this very manifest, and nobody else holds its fields: no dry run needed
  if (owner.kind === 'member' && !takeover && unchangedSinceApplied(live!, desired)) return planned({ action: 'unchanged' });

  let deferred = r.crdPending;
  let result: KubeObject | undefined;
  if (!r.crdPending) {
    try {
      result = await serverSideApply(ctx.client, info, desired, { dryRun: true });
    } catch (err) {
      if (!(err instanceof KubeApiError)) throw err;
      if (namespacePending && err.notFound) deferred = true;
      // a keyed list edited by hand (a Service port) fails validation until its items change owner
      else if (takeover && err.permanent) deferred = true;
      else if (err.permanent) problems.push({ subject, file, line: manifest.line, message: err.message });
      else throw err;
    }
  }
  const managers = policy.ownership.takeOverFrom;
  const after = live && takeover ? (result ? afterTakeover(result, live, desired, managers) : (overlay(live, desired) as KubeObject)) : (result ?? desired);
  const comparison = compareObjects(subject, live, after, { keepStatus: !info.statusSubresource });
  const action = !live ? 'created' : owner.kind === 'unowned' ? 'adopted' : deferred || takeover || comparison.changed ? 'configured' : 'unchanged';
  const reasons = [
    owner.kind === 'unowned' && `adopts an existing object written by ${owner.writers.join(', ') || 'an unknown writer'}; prune will release it, not delete it`,
    takeover && describeTakeover(takeover),
    takeover && deferred && !result && 'validated once its fields are taken over',
  ].filter((x): x is string => typeof x === 'string');
  const change: Omit<Change, 'subject' | 'file'> = { action, ...(reasons.length > 0 && { reason: reasons.join('; ') }) };
  if (action !== 'unchanged') change.diff = comparison.diff;
  return planned(change, { deferred, ...(takeover && { takeover }) });
}

/** What prune does with a member Git no longer holds. */
function pruneChange(live: KubeObject, prune: boolean): Change {
  const subject = subjectOf(live);
  const disabled = live.metadata.annotations?.['driftless.io/prune'] === 'disabled';
  if (!prune || disabled) return { subject, action: 'skipped', reason: disabled ? 'annotated driftless.io/prune: disabled' : 'prune is off for this target' };
  if (live.metadata.annotations?.[ownershipKeys.adopted] === 'true') {
    return { subject, action: 'released', reason: 'adopted, not created by this target: left in place with what it holds, no longer a member' };
  }
  return { subject, action: 'deleted', diff: objectDiff(subject, live, undefined) };
}

/**
 * The plan: every object validated by a server-side dry run, compared with the live object,
 * and the members Git no longer holds. Nothing is written to the cluster. If any object fails,
 * or is not this target's to write, a ManifestError lists every such object with its file; a prune beyond the target's limit fails with a PruneGuardError.
 */
export async function plan(manifests: readonly Manifest[], ctx: PlanContext): Promise<Plan> {
  const { client, policy, parent } = ctx;
  // policy and kind problems do not stop the dry run of the rest: the failure lists every bad object
  const { resolved, problems } = await resolve(manifests, ctx);

  const previousScope = await readInventory(client, parent);
  const scope: InventoryScope = { groupKinds: new Set(), namespaces: new Set([parent.namespace]) };
  for (const r of resolved) {
    scope.groupKinds.add(formatGroupKind(r.info.apiVersion, r.info.kind));
    if (r.info.namespaced && r.desired.metadata.namespace) scope.namespaces.add(r.desired.metadata.namespace);
  }
  const declared = resolved.filter((r) => !r.crdPending).map((r): Declared => ({ info: r.info, key: r.key, namespace: r.desired.metadata.namespace, name: r.desired.metadata.name }));
  const { labelled, unlabelled } = await readLive({ client, discovery: ctx.discovery, applySetId: parent.id, concurrency: policy.concurrency }, declared, previousScope);
  const newNamespaces = new Set(resolved.filter((r) => isKind(r.desired, namespaceKind)).map((r) => r.desired.metadata.name));

  const limit = pLimit(policy.concurrency);
  const objects = await Promise.all(
    resolved.map((r) =>
      limit(async () => {
        const live = r.crdPending ? undefined : (labelled.get(r.key)?.live ?? unlabelled.get(r.key));
        labelled.delete(r.key);
        const namespacePending = !live && r.info.namespaced && newNamespaces.has(r.desired.metadata.namespace ?? '');
        return planObject(r, live, namespacePending, ctx, problems);
      }),
    ),
  );
  if (problems.length > 0) throw new ManifestError('plan', problems);

  // what carries our label without being a member (a controller's copy of it) is not ours to prune
  const prunable = [...labelled.values()].filter(({ live }) => isMember(live, parent.id)).map(({ info, live }): PrunableObject => ({ info, live, change: pruneChange(live, policy.prune) }));
  guardPrune(parent.target, prunable.map((p) => p.change).filter((c) => c.action === 'deleted'), objects.length, policy.ownership);
  return { objects, prunable, previousScope, scope };
}
