import type { OwnershipConfig } from '../config/schema.js';
import { fieldManager, pointer, type JsonPatchOp, type KubeObject, type ManagedFieldsEntry } from '../kube/objects.js';
import { appliedHashAnnotation } from './applied.js';
import { applySetKeys, type ApplySetParent } from './inventory.js';

/** Annotations Driftless writes on the objects it owns, and the one a manifest may carry. */
export const ownershipKeys = {
  /** The target whose ApplySet the object belongs to: names it when another target declares the object. */
  target: 'driftless.io/target',
  /** `"true"` on an object the target adopted rather than created: prune releases it instead of deleting it. */
  adopted: 'driftless.io/adopted',
  /** `"true"` in a manifest: this target may adopt the existing object (whatever `ownership.adopt` says). */
  adopt: 'driftless.io/adopt',
} as const;

/** kubectl's client-side apply record; its presence means `kubectl apply` wrote the object from a manifest. */
export const lastAppliedAnnotation = 'kubectl.kubernetes.io/last-applied-configuration';

interface OwnerReference {
  apiVersion?: string;
  kind?: string;
  name?: string;
  uid?: string;
  controller?: boolean;
}

export function managedFieldsOf(object: KubeObject): ManagedFieldsEntry[] {
  return (object.metadata.managedFields as ManagedFieldsEntry[] | undefined) ?? [];
}

/** Driftless's own server-side apply entry (not a subresource's): what Git's manifests own. */
export const isOwnApply = (e: ManagedFieldsEntry): boolean => e.manager === fieldManager && e.operation === 'Apply' && !e.subresource;

/** The ownerReference with `controller: true`, if any: a controller made (or adopted) this object. */
export function controllerOf(object: KubeObject): OwnerReference | undefined {
  return (object.metadata.ownerReferences as OwnerReference[] | undefined)?.find((r) => r.controller === true);
}

/**
 * Whether Driftless's field manager applied the membership label, so it is Git's doing and not a
 * copy: the endpointslice controller copies a Service's labels, ApplySet label included, onto the
 * slices it makes (fluxcd/kustomize-controller#192), and anyone can add a label by hand.
 */
function appliedMembership(object: KubeObject): boolean {
  const labelKey = `f:${applySetKeys.partOf}`;
  return managedFieldsOf(object).some((e) => isOwnApply(e) && e.fieldsV1?.['f:metadata']?.['f:labels']?.[labelKey] !== undefined);
}

/**
 * Whether prune may act on a live object: it carries this ApplySet's label, Driftless's field
 * manager applied that label, and no controller owns it. A controller's objects are the
 * controller's to delete (Kubernetes' garbage collector does it when their owner goes), as
 * fluxcd/kustomize-controller#411 skips objects with owner references.
 */
export function isMember(live: KubeObject, applySetId: string): boolean {
  return live.metadata.labels?.[applySetKeys.partOf] === applySetId && appliedMembership(live) && !controllerOf(live);
}

/** Who holds a live object that Git declares, as far as this target is concerned. */
export type Ownership =
  | { kind: 'absent' }
  /** This target's: created by it, or `adopted` earlier. */
  | { kind: 'member'; adopted: boolean }
  /** Another ApplySet's member: another target's (named when its annotation says), or another tool's. */
  | { kind: 'foreign'; applySet: string; target?: string }
  /** A controller owns it (`by` is `Kind/name` of the owner). */
  | { kind: 'controlled'; by: string }
  /** Nobody's that we know of: adopting it is a choice (`writers` are its field managers). */
  | { kind: 'unowned'; writers: string[]; kubectlApplied: boolean };

/**
 * Classifies a live object before Git's version of it is applied. An object carrying our label
 * that we did not apply (a copy) is `unowned`, not a member; one whose label was removed by hand
 * but that Driftless applied for this target is still a member (the apply puts the label back);
 * a controller-owned object is ours only when the manifest declares that owner itself.
 */
export function ownershipOf(live: KubeObject | undefined, desired: KubeObject, parent: Pick<ApplySetParent, 'id' | 'target'>): Ownership {
  if (!live) return { kind: 'absent' };
  const label = live.metadata.labels?.[applySetKeys.partOf];
  const adopted = live.metadata.annotations?.[ownershipKeys.adopted] === 'true';
  if (label === parent.id && appliedMembership(live)) return { kind: 'member', adopted };
  const unlabelled = label === undefined && live.metadata.annotations?.[ownershipKeys.target] === parent.target && managedFieldsOf(live).some(isOwnApply);
  if (unlabelled) return { kind: 'member', adopted };
  if (label !== undefined && label !== parent.id) return { kind: 'foreign', applySet: label, target: live.metadata.annotations?.[ownershipKeys.target] };
  const controller = controllerOf(live);
  const declared = (desired.metadata.ownerReferences as OwnerReference[] | undefined)?.some((r) => r.uid === controller?.uid);
  if (controller && !declared) return { kind: 'controlled', by: `${controller.kind}/${controller.name}` };
  const writers = [...new Set(managedFieldsOf(live).map((e) => e.manager).filter((m): m is string => !!m))];
  return { kind: 'unowned', writers, kubectlApplied: live.metadata.annotations?.[lastAppliedAnnotation] !== undefined };
}

/**
 * Whether this target may adopt an unowned object: its manifest opts in, or the target's
 * `ownership.adopt` does. `kubectl-applied` covers moving from `kubectl apply` to Git: an object
 * kubectl applied from a manifest is declared, the way `kubectl apply --server-side` takes over
 * client-side apply's fields (kubernetes/kubernetes#112905).
 */
export function mayAdopt(owner: Ownership & { kind: 'unowned' }, manifest: KubeObject, policy: Pick<OwnershipConfig, 'adopt'>): boolean {
  if (manifest.metadata.annotations?.[ownershipKeys.adopt] === 'true') return true;
  return policy.adopt === 'all' || (policy.adopt === 'kubectl-applied' && owner.kubectlApplied);
}

/** The refusal for a declared object this target must not write, or undefined when it may. */
export function refusal(owner: Ownership, manifest: KubeObject, target: string, policy: Pick<OwnershipConfig, 'adopt'>): string | undefined {
  switch (owner.kind) {
    case 'foreign':
      return owner.target
        ? `belongs to target ${owner.target}; target ${target} does not take over another target's objects: declare it in one of them only`
        : `belongs to another ApplySet (${owner.applySet}); target ${target} does not take over another tool's objects`;
    case 'controlled':
      return `is controlled by ${owner.by} (ownerReference with controller: true); Driftless does not take over objects a controller manages`;
    case 'unowned':
      if (mayAdopt(owner, manifest, policy)) return undefined;
      return `exists and was not created by target ${target} (written by ${owner.writers.join(', ') || 'an unknown writer'}); to adopt it, annotate its manifest ${ownershipKeys.adopt}: "true" or set ownership.adopt: all for the target`;
    default:
      return undefined;
  }
}

/** Marks what Git will apply as adopted when it is (copied from the live member, so it stays); a manifest cannot set it. */
export function markAdopted(desired: KubeObject, owner: Ownership): void {
  const adopted = owner.kind === 'unowned' || (owner.kind === 'member' && owner.adopted);
  const annotations = { ...desired.metadata.annotations };
  delete annotations[ownershipKeys.adopted];
  if (adopted) annotations[ownershipKeys.adopted] = 'true';
  desired.metadata.annotations = annotations;
}

/**
 * A JSON patch that releases an adopted member without changing what it holds: our label and
 * annotations go, and so does Driftless's entry in `managedFields`, so its fields stay with no
 * owner instead of being removed (fluxcd/pkg ssa `PatchRemoveFieldsManagers`; `[{}]` is how the
 * API server is told to clear the list). Conditional on the object's resourceVersion.
 */
export function releasePatch(live: KubeObject): JsonPatchOp[] {
  const ops: JsonPatchOp[] = [{ op: 'replace', path: pointer('metadata', 'resourceVersion'), value: live.metadata.resourceVersion }];
  if (live.metadata.labels?.[applySetKeys.partOf] !== undefined) ops.push({ op: 'remove', path: pointer('metadata', 'labels', applySetKeys.partOf) });
  for (const key of [ownershipKeys.target, ownershipKeys.adopted, appliedHashAnnotation]) {
    if (live.metadata.annotations?.[key] !== undefined) ops.push({ op: 'remove', path: pointer('metadata', 'annotations', key) });
  }
  const kept = managedFieldsOf(live).filter((e) => !isOwnApply(e));
  ops.push({ op: 'replace', path: pointer('metadata', 'managedFields'), value: kept.length > 0 ? kept : [{}] });
  return ops;
}
