import pLimit from 'p-limit';
import { KubeApiError } from '../kube/client.js';
import { crdKind, isKind, namespaceKind } from '../kube/keys.js';
import { getObject, jsonPatch, serverSideApply } from '../kube/objects.js';
import { ManifestError, type ObjectProblem } from '../errors.js';
import { appliesObject, type Change } from './changeset.js';
import { needsParent, unionScope, writeInventory, type ApplySetParent } from './inventory.js';
import { existingIn } from './live.js';
import { byBatch } from './order.js';
import type { Plan, PlanContext, PlannedObject } from './plan.js';
import { ownershipKeys } from './ownership.js';
import { takeoverPatch } from './takeover.js';

/** Some objects were written before others failed: `applied` says what already changed. */
export class PartialApplyError extends ManifestError {
  constructor(
    problems: readonly ObjectProblem[],
    readonly applied: readonly Change[],
  ) {
    super('apply', problems);
  }
}

/**
 * A failure part-way through apply that is not an object's own (the API server went away, a
 * CRD never became Established, the inventory could not be written), with what was written
 * before it: the rollback decision and the report need to know the cluster changed.
 */
export class InterruptedApplyError extends Error {
  constructor(
    override readonly cause: unknown,
    readonly applied: readonly Change[],
  ) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'InterruptedApplyError';
  }
}

const isWrite = (o: PlannedObject) => appliesObject(o.change);

/** Attempts at a takeover while others keep changing the object (each one answered 409). */
const takeoverAttempts = 3;

/**
 * Moves ownership of the object's fields to Driftless (see `Takeover`), computed from the object
 * as it is now: a real write, so it happens here and never in plan, just before the object is
 * validated or applied.
 */
async function takeOver(ctx: PlanContext, o: PlannedObject): Promise<void> {
  const { namespace, name } = o.desired.metadata;
  for (let attempt = 1; ; attempt++) {
    const live = await getObject(ctx.client, o.info, namespace, name);
    const ops = live && takeoverPatch(live, ctx.policy.ownership.takeOverFrom);
    if (!ops) return;
    try {
      await jsonPatch(ctx.client, o.info, namespace, name, ops);
      return;
    } catch (err) {
      if (!(err instanceof KubeApiError && err.status === 409) || attempt === takeoverAttempts) throw err;
    }
  }
}

async function waitEstablished(ctx: PlanContext, object: PlannedObject, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const live = await getObject(ctx.client, object.info, undefined, object.desired.metadata.name);
    const conditions = (live?.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [];
    if (conditions.some((c) => c.type === 'Established' && c.status === 'True')) return;
    if (Date.now() > deadline) {
      throw new ManifestError('apply', [{ subject: object.change.subject, file: object.manifest.file, message: `not Established after ${timeoutMs / 1000}s` }]);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Writes objects (or dry-runs them) with bounded concurrency, collecting every permanent failure.
 * An object's takeover comes first, once, even before a dry run: validation needs it.
 */
function writer(ctx: PlanContext, applied: Change[]) {
  const limit = pLimit(ctx.policy.concurrency);
  const takenOver = new Set<PlannedObject>();
  return async (objects: PlannedObject[], dryRun = false): Promise<void> => {
    const problems: ObjectProblem[] = [];
    // the first error that is not the object's fault (the API server unreachable) ends the batch:
    // no write starts after it, and the batch fails only once the writes in flight have settled,
    // so nothing of this attempt lands after it has failed (a retry plans against what is there)
    let failed: { error: unknown } | undefined;
    await Promise.all(
      objects.map((o) =>
        limit(async () => {
          if (failed) return;
          try {
            if (o.takeover && !takenOver.has(o)) {
              await takeOver(ctx, o);
              takenOver.add(o);
            }
            await serverSideApply(ctx.client, o.info, o.desired, { dryRun });
            if (!dryRun) applied.push(o.change);
          } catch (err) {
            if (err instanceof KubeApiError && err.permanent) problems.push({ subject: o.change.subject, file: o.manifest.file, message: err.message });
            else failed ??= { error: err };
          }
        }),
      ),
    );
    if (failed) throw failed.error;
    if (problems.length > 0) throw new PartialApplyError(problems, applied);
  };
}

/** The Namespace that will hold the ApplySet parent, when this sync creates it. */
const createsParentNamespace = (o: PlannedObject, parent: ApplySetParent) =>
  isKind(o.desired, namespaceKind) && o.desired.metadata.name === parent.namespace && o.change.action === 'created';

/**
 * Writes the plan to the cluster batch by batch, in the kind order of order.ts: the inventory
 * first (after its namespace, when Git creates that), then `definitions` (Namespaces, and CRDs,
 * waited for until Established), `classes`, `resources` and `webhooks` last, each batch in full
 * before the next, with bounded concurrency within it; a batch that fails stops the ones after
 * it. Objects whose dry run matched the live object are not written, so they keep their
 * resourceVersion; objects whose fields another manager holds are taken over first. Returns
 * one Change per object. `crdTimeoutMs`: how long a CRD may take to be Established (default
 * 60 s), after which apply fails naming it.
 */
export async function apply(plan: Plan, ctx: PlanContext, options: { crdTimeoutMs?: number } = {}): Promise<Change[]> {
  const creates = plan.objects.filter((o) => o.change.action === 'created');
  if (creates.length === 0 || !ctx.serializeCreates) return applyInBatches(plan, ctx, options);
  return ctx.serializeCreates(async () => {
    await stillAbsent(creates, ctx);
    return applyInBatches(plan, ctx, options);
  });
}

/**
 * Refuses the sync, before any write, when an object it planned to create exists now: another
 * target (or person) created it in between, and Git's copy here would take it over. One request
 * per kind and namespace (see `existingIn`), not one per object.
 */
async function stillAbsent(creates: readonly PlannedObject[], ctx: PlanContext): Promise<void> {
  const slots = new Map<string, PlannedObject[]>();
  for (const o of creates) {
    if (o.deferred) continue; // its CRD or namespace is created by this sync: nobody else can have made it
    const key = `${o.info.apiVersion}/${o.info.kind} ${o.desired.metadata.namespace ?? ''}`;
    const slot = slots.get(key) ?? [];
    slot.push(o);
    slots.set(key, slot);
  }
  const limit = pLimit(ctx.policy.concurrency);
  const problems: ObjectProblem[] = [];
  await Promise.all(
    [...slots.values()].map((planned) =>
      limit(async () => {
        const { info, desired } = planned[0]!;
        const existing = await existingIn(ctx.client, info, desired.metadata.namespace, planned.map((o) => o.desired.metadata.name));
        for (const o of planned) {
          const live = existing.get(o.desired.metadata.name);
          if (!live) continue;
          const holder = live.metadata.annotations?.[ownershipKeys.target];
          problems.push({ subject: o.change.subject, file: o.manifest.file, message: `was created by ${holder ? `target ${holder}` : 'another writer'} after this sync planned it; nothing was written` });
        }
      }),
    ),
  );
  if (problems.length > 0) throw new ManifestError('apply', problems);
}

async function applyInBatches(plan: Plan, ctx: PlanContext, options: { crdTimeoutMs?: number }): Promise<Change[]> {
  const applied: Change[] = [];
  try {
    return await writeBatches(plan, ctx, options, applied);
  } catch (err) {
    if (err instanceof PartialApplyError || applied.length === 0) throw err;
    throw new InterruptedApplyError(err, [...applied]);
  }
}

async function writeBatches(plan: Plan, ctx: PlanContext, options: { crdTimeoutMs?: number }, applied: Change[]): Promise<Change[]> {
  const write = writer(ctx, applied);
  const { definitions, classes, resources, webhooks } = byBatch(plan.objects.filter(isWrite), (o) => o.desired);
  const parentNamespace = definitions.filter((o) => createsParentNamespace(o, ctx.parent));

  // the parent Secret cannot exist before its namespace: when Git creates that namespace, it is
  // the one member written before the inventory records it
  await write(parentNamespace);
  // then the union: if we stop between apply and prune, the next prune still sees every member
  if (needsParent(plan.previousScope, plan.scope)) await writeInventory(ctx.client, ctx.parent, unionScope(plan.previousScope, plan.scope));

  await write(definitions.filter((o) => !parentNamespace.includes(o)));
  const crds = definitions.filter((o) => isKind(o.desired, crdKind));
  await Promise.all(crds.map((crd) => waitEstablished(ctx, crd, options.crdTimeoutMs ?? 60_000)));
  if (crds.length > 0) ctx.discovery.invalidate();

  const rest = [classes, resources, webhooks];
  // objects whose CRD or Namespace did not exist at plan time: validate all before writing any
  await write(rest.flat().filter((o) => o.deferred), true);
  for (const batch of rest) await write(batch);
  return plan.objects.map((o) => o.change);
}
