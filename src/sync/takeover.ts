import { isKind, secretKind } from '../kube/keys.js';
import { fieldManager, pointer, type FieldsV1, type JsonPatchOp, type KubeObject, type ManagedFieldsEntry } from '../kube/objects.js';
import { isOwnApply, lastAppliedAnnotation, managedFieldsOf } from './ownership.js';

/**
 * Ownership Driftless moves to itself before it applies an object, so that a field Git no longer
 * declares is removed instead of staying with another owner: fluxcd/pkg ssa's
 * `ApplyCleanupOptions` (`PatchReplaceFieldsManagers`, `PatchRemoveAnnotations` in
 * ssa/patch.go, run by `cleanupMetadata` in ssa/manager_apply.go) does the same for kubectl.
 */
export interface Takeover {
  /** Field managers (from `ownership.takeOverFrom`) whose fields become Driftless's. */
  from: string[];
  /** kubectl's last-applied annotation is there and is dropped (it can embed every value, Secrets' too). */
  lastApplied: boolean;
  /** A Secret whose `stringData` keys Driftless owns, from before `stringData` was folded into `data`: ownership moves to the `data` keys. */
  stringData: boolean;
}

const isSecret = (o: KubeObject) => isKind(o, secretKind);

/** An entry of one of the managers to take over from; subresource entries are controllers' status and stay theirs, as in Flux. */
const taken = (managers: readonly string[]) => (e: ManagedFieldsEntry) =>
  !e.subresource && !isOwnApply(e) && e.manager !== undefined && managers.includes(e.manager) && (e.operation === 'Update' || e.operation === 'Apply');

/** What taking over this live object involves, or undefined when there is nothing to take over. */
export function takeoverOf(live: KubeObject, managers: readonly string[]): Takeover | undefined {
  const entries = managedFieldsOf(live);
  const from = [...new Set(entries.filter(taken(managers)).map((e) => e.manager!))];
  const lastApplied = live.metadata.annotations?.[lastAppliedAnnotation] !== undefined;
  const stringData = isSecret(live) && entries.some((e) => isOwnApply(e) && e.fieldsV1?.['f:stringData'] !== undefined);
  return from.length > 0 || lastApplied || stringData ? { from, lastApplied, stringData } : undefined;
}

/** `takes over fields from kubectl-edit; drops kubectl.kubernetes.io/last-applied-configuration` */
export function describeTakeover(t: Takeover): string {
  const parts: string[] = [];
  if (t.from.length > 0) parts.push(`takes over fields from ${t.from.join(', ')}`);
  if (t.stringData) parts.push('moves ownership of stringData keys to data');
  if (t.lastApplied) parts.push(`drops ${lastAppliedAnnotation}`);
  return parts.join('; ');
}

/** The union of two field sets: tries merge key by key (a leaf is `{}`). */
function union(a: FieldsV1 | undefined, b: FieldsV1 | undefined): FieldsV1 {
  const out: FieldsV1 = { ...a };
  for (const [key, child] of Object.entries(b ?? {})) out[key] = union(out[key], child);
  return out;
}

/** `f:stringData.<key>` becomes `f:data.<key>`: the API server stores stringData in data. */
function stringDataAsData(fields: FieldsV1): FieldsV1 {
  const { 'f:stringData': stringData, ...rest } = fields;
  return stringData ? { ...rest, 'f:data': union(rest['f:data'], Object.fromEntries(Object.entries(stringData).filter(([k]) => k !== '.'))) } : fields;
}

/** Driftless's Apply entry once the takeover is done, and the entries that stay with others. */
function takenOver(live: KubeObject, managers: readonly string[]): { own: ManagedFieldsEntry; others: ManagedFieldsEntry[] } | undefined {
  const entries = managedFieldsOf(live);
  const moving = entries.filter((e) => isOwnApply(e) || taken(managers)(e));
  if (moving.length === 0) return undefined;
  // Driftless's existing entry is the base (its apiVersion and time); otherwise the first taken one, renamed
  const base = moving.find(isOwnApply) ?? moving[0]!;
  let fields = moving.reduce<FieldsV1>((all, e) => union(all, e.fieldsV1), {});
  if (isSecret(live)) fields = stringDataAsData(fields);
  return { own: { ...base, manager: fieldManager, operation: 'Apply', fieldsType: 'FieldsV1', fieldsV1: fields }, others: entries.filter((e) => !moving.includes(e)) };
}

/**
 * The JSON patch that performs a takeover on the live object as it is now: `managedFields` with
 * the taken entries merged into Driftless's Apply entry (last, as Flux appends it), and the
 * last-applied annotation removed. Conditional on the object's resourceVersion (409 when it
 * changed meanwhile). Undefined when there is nothing (left) to take over.
 */
export function takeoverPatch(live: KubeObject, managers: readonly string[]): JsonPatchOp[] | undefined {
  if (!takeoverOf(live, managers)) return undefined;
  const ops: JsonPatchOp[] = [{ op: 'replace', path: pointer('metadata', 'resourceVersion'), value: live.metadata.resourceVersion }];
  const moved = takenOver(live, managers);
  if (moved) ops.push({ op: 'replace', path: pointer('metadata', 'managedFields'), value: [...moved.others, moved.own] });
  if (live.metadata.annotations?.[lastAppliedAnnotation] !== undefined) ops.push({ op: 'remove', path: pointer('metadata', 'annotations', lastAppliedAnnotation) });
  return ops;
}

/** Leaf paths of a field set made of plain fields only; list items (`k:`, `v:`, `i:`) are left to the API server. */
function plainLeaves(fields: FieldsV1, prefix: string[] = []): string[][] {
  const children = Object.entries(fields).filter(([key]) => key !== '.');
  if (children.length === 0) return prefix.length > 0 ? [prefix] : [];
  return children.flatMap(([key, child]) => (key.startsWith('f:') ? plainLeaves(child, [...prefix, key.slice(2)]) : []));
}

function has(object: unknown, path: readonly string[]): boolean {
  let node = object;
  for (const key of path) {
    if (!node || typeof node !== 'object' || Array.isArray(node) || !(key in node)) return false;
    node = (node as Record<string, unknown>)[key];
  }
  return true;
}

function remove(object: Record<string, unknown>, path: readonly string[]): void {
  const parent = path.slice(0, -1).reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), object);
  if (parent && typeof parent === 'object' && !Array.isArray(parent)) delete (parent as Record<string, unknown>)[path[path.length - 1]!];
}

/**
 * What applying `desired` will leave once the takeover is done, from the dry run made before
 * it (`dryRun`, which still shows the taken fields): plain fields the taken managers held that Git
 * does not declare and no other manager holds are gone, and so is the last-applied annotation.
 * List items are not predicted; the apply after the takeover removes them all the same.
 */
export function afterTakeover(dryRun: KubeObject, live: KubeObject, desired: KubeObject, managers: readonly string[]): KubeObject {
  const predicted = structuredClone(dryRun);
  const moved = takenOver(live, managers);
  if (moved) {
    // one path is a prefix of the other: a parent held whole, or a child held inside it
    const overlaps = (a: string[], b: string[]) => a.slice(0, b.length).every((k, i) => k === b[i]);
    const othersHold = (path: string[]) => moved.others.some((e) => plainLeaves(e.fieldsV1 ?? {}).some((p) => overlaps(p, path)));
    for (const path of plainLeaves(moved.own.fieldsV1 ?? {})) {
      if (!has(desired, path) && !othersHold(path)) remove(predicted, path);
    }
  }
  const annotations = predicted.metadata.annotations;
  if (annotations) delete annotations[lastAppliedAnnotation];
  return predicted;
}

/**
 * A stand-in for the dry run when it could not run before the takeover (a hand-edited keyed list
 * such as a Service's ports fails validation until its items change owner): the live object with
 * Git's fields laid over it, lists replaced whole.
 */
export function overlay(live: unknown, desired: unknown): unknown {
  if (!desired || typeof desired !== 'object' || Array.isArray(desired) || !live || typeof live !== 'object' || Array.isArray(live)) return structuredClone(desired);
  const out: Record<string, unknown> = structuredClone(live) as Record<string, unknown>;
  for (const [key, value] of Object.entries(desired)) out[key] = overlay(out[key], value);
  return out;
}
