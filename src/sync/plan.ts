import pLimit from 'p-limit';
import { KubeApiError, type KubeClient } from '../kube/client.js';
import { groupOf, type Discovery, type ResourceInfo } from '../kube/discovery.js';
import { getObject, listObjects, serverSideApply, type KubeObject } from '../kube/objects.js';
import { ManifestError, type ObjectProblem } from '../errors.js';
import { subjectOf, type Manifest } from './manifest.js';
import type { Change } from './changeset.js';
import { stampApplied, unchangedSinceApplied } from './applied.js';
import { differs, objectDiff } from './diff.js';
import { applySetKeys, groupKindOf, readInventory, unionScope, type ApplySetParent, type InventoryScope } from './inventory.js';

/** The policy and defaults of one target that planning enforces. */
export interface PlanPolicy {
  /** Namespace given to namespaced objects that name none. */
  namespace: string;
  allowedNamespaces: readonly string[];
  allowClusterScoped: boolean;
  prune: boolean;
  /** Requests in flight at once against the API server. */
  concurrency: number;
}

export interface PlannedObject {
  manifest: Manifest;
  info: ResourceInfo;
  /** What is sent to the API server: namespace defaulted, ApplySet membership label added. */
  desired: KubeObject;
  live?: KubeObject;
  /** Its CRD or Namespace is created by this same sync: validated once that exists. */
  deferred: boolean;
  change: Change;
}

/** A live member of the ApplySet that Git no longer holds. */
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

export interface PlanContext {
  client: KubeClient;
  discovery: Discovery;
  parent: ApplySetParent;
  policy: PlanPolicy;
}

/** A live object annotated `driftless.io/reconcile: disabled` is left alone: never written, healed or waited for. */
export const reconcileAnnotation = 'driftless.io/reconcile';

const keyOf = (apiVersion: string, kind: string, namespace: string | undefined, name: string) =>
  `${groupOf(apiVersion)}/${kind}/${namespace ?? ''}/${name}`;

/** Kinds that CRDs in this set will add: usable before the cluster serves them. */
function kindsFromCrds(manifests: readonly Manifest[]): Map<string, ResourceInfo> {
  const kinds = new Map<string, ResourceInfo>();
  for (const { object } of manifests) {
    if (object.kind !== 'CustomResourceDefinition' || groupOf(object.apiVersion) !== 'apiextensions.k8s.io') continue;
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
 * Resolves every manifest's kind, enforces the target's namespace policy and defaults the
 * namespace. Every problem across all objects is collected before failing.
 */
async function resolve(manifests: readonly Manifest[], ctx: PlanContext) {
  const { policy, discovery, parent } = ctx;
  const crdKinds = kindsFromCrds(manifests);
  const problems: ObjectProblem[] = [];
  const resolved: { manifest: Manifest; info: ResourceInfo; desired: KubeObject; crdPending: boolean }[] = [];
  const limit = pLimit(policy.concurrency);
  await Promise.all(
    manifests.map((manifest) =>
      limit(async () => {
        const { object } = manifest;
        const served = await discovery.resourceFor(object.apiVersion, object.kind);
        const info = served ?? crdKinds.get(`${object.apiVersion}/${object.kind}`);
        if (!info) {
          problems.push({ subject: subjectOf(object), source: manifest.source, message: `unknown kind ${object.kind} in ${object.apiVersion}: the cluster does not serve it (is its CRD installed?)` });
          return;
        }
        const desired = structuredClone(object) as KubeObject;
        if (info.namespaced) {
          desired.metadata.namespace ??= policy.namespace;
          if (!policy.allowedNamespaces.includes(desired.metadata.namespace)) {
            problems.push({ subject: subjectOf(desired), source: manifest.source, message: `namespace ${desired.metadata.namespace} is not allowed for this target (allowedNamespaces: ${policy.allowedNamespaces.join(', ')})` });
            return;
          }
        } else {
          delete desired.metadata.namespace;
          const ownNamespace = object.kind === 'Namespace' && policy.allowedNamespaces.includes(object.metadata.name);
          if (!ownNamespace && !policy.allowClusterScoped) {
            problems.push({ subject: subjectOf(desired), source: manifest.source, message: `cluster-scoped ${object.kind} is not allowed for this target (allowClusterScoped: false)` });
            return;
          }
        }
        desired.metadata.labels = { ...desired.metadata.labels, [applySetKeys.partOf]: parent.id };
        stampApplied(desired);
        resolved.push({ manifest, info, desired, crdPending: !served });
      }),
    ),
  );
  return { resolved, problems };
}

/** Live members of the ApplySet, keyed by group/kind/namespace/name. */
async function listMembers(ctx: PlanContext, scope: InventoryScope): Promise<Map<string, { info: ResourceInfo; live: KubeObject }>> {
  const members = new Map<string, { info: ResourceInfo; live: KubeObject }>();
  const selector = `${applySetKeys.partOf}=${ctx.parent.id}`;
  const limit = pLimit(ctx.policy.concurrency);
  const lists: Promise<void>[] = [];
  for (const groupKind of scope.groupKinds) {
    const info = await ctx.discovery.resourceForGroupKind(groupKind);
    if (!info) continue; // the kind is gone from the cluster (CRD deleted): nothing left to prune
    const namespaces = info.namespaced ? [...scope.namespaces] : [undefined];
    for (const ns of namespaces) {
      lists.push(
        limit(async () => {
          for (const live of await listObjects(ctx.client, info, ns, selector)) {
            members.set(keyOf(live.apiVersion, live.kind, live.metadata.namespace, live.metadata.name), { info, live });
          }
        }),
      );
    }
  }
  await Promise.all(lists);
  return members;
}

/**
 * The plan: every object validated by a server-side dry run, compared with the live object,
 * and the members Git no longer holds. Nothing is written to the cluster. If any object fails,
 * a ManifestError lists every failing object with its source file.
 */
export async function plan(manifests: readonly Manifest[], ctx: PlanContext): Promise<Plan> {
  const { client, policy, parent } = ctx;
  // policy and kind problems do not stop the dry run of the rest: the failure lists every bad object
  const { resolved, problems } = await resolve(manifests, ctx);

  const previousScope = await readInventory(client, parent);
  const scope: InventoryScope = { groupKinds: new Set(), namespaces: new Set([parent.namespace]) };
  for (const r of resolved) {
    scope.groupKinds.add(groupKindOf(r.info.apiVersion, r.info.kind));
    if (r.info.namespaced && r.desired.metadata.namespace) scope.namespaces.add(r.desired.metadata.namespace);
  }
  const members = await listMembers(ctx, unionScope(previousScope, scope));
  const newNamespaces = new Set(resolved.filter((r) => r.desired.kind === 'Namespace').map((r) => r.desired.metadata.name));

  const limit = pLimit(policy.concurrency);
  const objects = await Promise.all(
    resolved.map(({ manifest, info, desired, crdPending }) =>
      limit(async (): Promise<PlannedObject> => {
        const key = keyOf(desired.apiVersion, desired.kind, desired.metadata.namespace, desired.metadata.name);
        const live = crdPending ? undefined : (members.get(key)?.live ?? (await getObject(client, info, desired.metadata.namespace, desired.metadata.name)));
        members.delete(key);
        const namespacePending = !live && info.namespaced && newNamespaces.has(desired.metadata.namespace ?? '');
        const subject = subjectOf(desired);
        if (live?.metadata.annotations?.[reconcileAnnotation] === 'disabled') {
          return { manifest, info, desired, live, deferred: false, change: { subject, action: 'skipped', source: manifest.source, reason: `annotated ${reconcileAnnotation}: disabled` } };
        }
        // unchanged since we applied it from this very manifest: no dry run needed
        if (live && unchangedSinceApplied(live, desired)) return { manifest, info, desired, live, deferred: false, change: { subject, action: 'unchanged', source: manifest.source } };
        let deferred = crdPending;
        let result: KubeObject | undefined;
        if (!crdPending) {
          try {
            result = await serverSideApply(client, info, desired, { dryRun: true });
          } catch (err) {
            if (namespacePending && err instanceof KubeApiError && err.notFound) deferred = true;
            else if (err instanceof KubeApiError && err.permanent) {
              problems.push({ subject, source: manifest.source, message: err.message });
            } else throw err;
          }
        }
        const after = result ?? desired;
        const compare = { keepStatus: !info.statusSubresource };
        const action = !live ? 'created' : deferred || differs(live, after, compare) ? 'configured' : 'unchanged';
        const change: Change = { subject, action, source: manifest.source };
        if (action !== 'unchanged') change.diff = objectDiff(subject, live, after, compare);
        return { manifest, info, desired, live, deferred, change };
      }),
    ),
  );
  if (problems.length > 0) throw new ManifestError('plan', problems);

  const prunable = [...members.values()].map(({ info, live }): PrunableObject => {
    const subject = subjectOf(live);
    const disabled = live.metadata.annotations?.['driftless.io/prune'] === 'disabled';
    const change: Change = policy.prune && !disabled
      ? { subject, action: 'deleted', diff: objectDiff(subject, live, undefined) }
      : { subject, action: 'skipped', reason: disabled ? 'annotated driftless.io/prune: disabled' : 'prune is off for this target' };
    return { info, live, change };
  });
  return { objects, prunable, previousScope, scope };
}
