import pLimit from 'p-limit';
import { KubeApiError } from '../kube/client.js';
import { formatGroupKind, isKind, namespaceKind } from '../kube/keys.js';
import { deleteObject, jsonPatch } from '../kube/objects.js';
import { DriftlessError, ManifestError, type ObjectProblem } from '../errors.js';
import type { Change } from './changeset.js';
import { needsParent, sameScope, unionScope, writeInventory, type InventoryScope } from './inventory.js';
import { batches, byBatch } from './order.js';
import { releasePatch } from './ownership.js';
import type { Plan, PlanContext, PrunableObject } from './plan.js';

/** Deletes that did not happen: permanent ones name the object, a transient one is retried by the next sync. */
interface Failures {
  problems: ObjectProblem[];
  transient?: unknown;
}

/** A member that stays (skipped, or not deleted yet) keeps its kind and namespace in the scope. */
function keep(scope: InventoryScope, o: PrunableObject): void {
  scope.groupKinds.add(formatGroupKind(o.info.apiVersion, o.info.kind));
  if (o.live.metadata.namespace) scope.namespaces.add(o.live.metadata.namespace);
}

function skip(o: PrunableObject, reason: string): void {
  o.change = { subject: o.change.subject, action: 'skipped', reason };
}

/** Releases an adopted member (see `releasePatch`); one already gone counts as released. */
async function release(ctx: PlanContext, o: PrunableObject): Promise<void> {
  try {
    await jsonPatch(ctx.client, o.info, o.live.metadata.namespace, o.live.metadata.name, releasePatch(o.live));
  } catch (err) {
    if (!(err instanceof KubeApiError && err.notFound)) throw err;
  }
}

/** Deletes or releases objects with bounded concurrency; what fails is skipped, kept in the scope and recorded. */
function remover(ctx: PlanContext, scope: InventoryScope, failures: Failures) {
  const limit = pLimit(ctx.policy.concurrency);
  const { client } = ctx;
  return (objects: PrunableObject[]) =>
    Promise.all(
      objects.map((o) =>
        limit(async () => {
          const { namespace, name } = o.live.metadata;
          try {
            if (o.change.action === 'released') await release(ctx, o);
            else await deleteObject(client, o.info, namespace, name);
          } catch (err) {
            keep(scope, o);
            skip(o, `${o.change.action === 'released' ? 'release' : 'delete'} failed: ${err instanceof Error ? err.message : String(err)}`);
            if (err instanceof KubeApiError && err.permanent) failures.problems.push({ subject: o.change.subject, file: '(pruned)', message: err.message });
            else failures.transient ??= err;
          }
        }),
      ),
    );
}

/** A Namespace Git dropped stays while Git still deploys objects into it: deleting it would delete them. */
function keepNamespacesInUse(plan: Plan): void {
  for (const o of plan.prunable) {
    if (o.change.action !== 'deleted' || !isKind(o.live, namespaceKind)) continue;
    const inside = plan.objects.filter((p) => p.desired.metadata.namespace === o.live.metadata.name).map((p) => p.change.subject);
    if (inside.length > 0) skip(o, `kept: Git still deploys ${inside.slice(0, 3).join(', ')}${inside.length > 3 ? ` and ${inside.length - 3} more` : ''} into it`);
  }
}

/**
 * Deletes the members Git no longer holds in reverse apply order (order.ts): webhooks first, so
 * that none intercepts the deletes after it, then resources, classes, and definitions (Namespaces
 * and CRDs) last, each batch in full before the next. An object already gone counts as deleted,
 * and so does one already going (the API server answers another delete of a terminating
 * namespace with 200). Whatever could not be deleted stays in the inventory, so the next sync
 * tries again and nothing is orphaned.
 *
 * Adopted members are released first, never deleted: they existed before this target, so they
 * stay with everything they hold (a Namespace with another team's objects: fluxcd/flux2#1366)
 * and stop being members. A release that fails stays in the inventory the same way.
 *
 * The namespace holding the ApplySet parent goes last, after the inventory is written, and only
 * when nothing else remains for the inventory to record. Deleting it deletes the parent: any
 * earlier, the next sync would lose track of the members left, and writing the parent afterwards
 * would fail (a create in a terminating namespace is forbidden, in a deleted one not found).
 * While members remain it is kept, and its change says why.
 */
export async function prune(plan: Plan, ctx: PlanContext): Promise<Change[]> {
  const scope: InventoryScope = { groupKinds: new Set(plan.scope.groupKinds), namespaces: new Set(plan.scope.namespaces) };
  const failures: Failures = { problems: [] };
  const remove = remover(ctx, scope, failures);
  keepNamespacesInUse(plan);
  await remove(plan.prunable.filter((o) => o.change.action === 'released'));
  const deletable = plan.prunable.filter((o) => o.change.action === 'deleted');
  const parentNamespace = deletable.find((o) => isKind(o.live, namespaceKind) && o.live.metadata.name === ctx.parent.namespace);
  const inBatches = byBatch(deletable.filter((o) => o !== parentNamespace), (o) => o.live);
  for (const batch of [...batches].reverse()) await remove(inBatches[batch].reverse());
  // skipped members (prune off, annotated, in use, not deleted) stay members: keep their kinds in the scope
  for (const o of plan.prunable.filter((p) => p.change.action === 'skipped')) keep(scope, o);
  if (parentNamespace) {
    if (scope.groupKinds.size > 0) skip(parentNamespace, `kept: it holds Secret/${ctx.parent.namespace}/${ctx.parent.name}, the inventory of this target's remaining members`);
    // recorded until it is gone, so a delete that fails is tried again
    keep(scope, parentNamespace);
  }
  // apply wrote the union of the old and new scope; when nothing was pruned that is this scope
  const written = unionScope(plan.previousScope, plan.scope);
  if (needsParent(plan.previousScope, scope) && !sameScope(written, scope)) await writeInventory(ctx.client, ctx.parent, scope);
  if (parentNamespace?.change.action === 'deleted') await remove([parentNamespace]);
  if (failures.problems.length > 0) throw new ManifestError('prune', failures.problems);
  if (failures.transient) throw new DriftlessError('prune could not delete every object; the next sync retries', { cause: failures.transient });
  return plan.prunable.map((o) => o.change);
}
