import pLimit from 'p-limit';
import { KubeApiError } from '../kube/client.js';
import { deleteObject } from '../kube/objects.js';
import { DriftlessError, ManifestError, type ObjectProblem } from '../errors.js';
import type { Change } from './changeset.js';
import { groupKindOf, writeInventory, type InventoryScope } from './inventory.js';
import { Stage, stageOf } from './order.js';
import type { Plan, PlanContext, PrunableObject } from './plan.js';

/**
 * Deletes the members Git no longer holds, in reverse apply order (workloads, then Namespaces,
 * then CRDs). An object already gone counts as deleted. Whatever could not be deleted stays in
 * the inventory, so the next sync tries again and nothing is orphaned.
 */
export async function prune(plan: Plan, ctx: PlanContext): Promise<Change[]> {
  const scope: InventoryScope = { groupKinds: new Set(plan.scope.groupKinds), namespaces: new Set(plan.scope.namespaces) };
  const problems: ObjectProblem[] = [];
  let transient: unknown;
  const limit = pLimit(ctx.policy.concurrency);
  const remove = (objects: PrunableObject[]) =>
    Promise.all(
      objects.map((o) =>
        limit(async () => {
          try {
            await deleteObject(ctx.client, o.info, o.live.metadata.namespace, o.live.metadata.name);
          } catch (err) {
            scope.groupKinds.add(groupKindOf(o.info.apiVersion, o.info.kind));
            if (o.live.metadata.namespace) scope.namespaces.add(o.live.metadata.namespace);
            o.change = { subject: o.change.subject, action: 'skipped', reason: `delete failed: ${err instanceof Error ? err.message : String(err)}` };
            if (err instanceof KubeApiError && err.permanent) problems.push({ subject: o.change.subject, source: '(pruned)', message: err.message });
            else transient ??= err;
          }
        }),
      ),
    );
  const deletable = plan.prunable.filter((o) => o.change.action === 'deleted');
  for (const stage of [Stage.Rest, Stage.Namespaces, Stage.CustomResourceDefinitions]) {
    await remove(deletable.filter((o) => stageOf(o.live) === stage));
  }
  // skipped members (prune off, or annotated) stay members: keep their kinds in the scope
  for (const o of plan.prunable.filter((p) => p.change.action === 'skipped')) {
    scope.groupKinds.add(groupKindOf(o.info.apiVersion, o.info.kind));
    if (o.live.metadata.namespace) scope.namespaces.add(o.live.metadata.namespace);
  }
  await writeInventory(ctx.client, ctx.parent, scope);
  if (problems.length > 0) throw new ManifestError('prune', problems);
  if (transient) throw new DriftlessError('prune could not delete every object; the next sync retries', { cause: transient });
  return plan.prunable.map((o) => o.change);
}
