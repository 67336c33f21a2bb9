import { describe, expect, it } from 'vitest';
import { ownershipSchema } from '../../src/config/schema.js';
import type { KubeObject, ManagedFieldsEntry } from '../../src/kube/objects.js';
import type { Change } from '../../src/sync/changeset.js';
import { applySetKeys } from '../../src/sync/inventory.js';
import { isMember, lastAppliedAnnotation, markAdopted, ownershipKeys, ownershipOf, refusal, releasePatch, type Ownership } from '../../src/sync/ownership.js';
import { guardPrune, PruneGuardError } from '../../src/sync/prune-guard.js';

const ours = 'applyset-ours-v1';
const theirs = 'applyset-theirs-v1';
const labelOwned: ManagedFieldsEntry['fieldsV1'] = { 'f:metadata': { 'f:labels': { [`f:${applySetKeys.partOf}`]: {} } } };
const appliedByDriftless: ManagedFieldsEntry = { manager: 'driftless', operation: 'Apply', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: labelOwned };
const controllerRef = { apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'svc-uid', controller: true, blockOwnerDeletion: true };

function live(options: { label?: string; managers?: ManagedFieldsEntry[]; ownerReferences?: object[]; annotations?: Record<string, string> } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'c',
      namespace: 'shop',
      resourceVersion: '42',
      ...(options.label && { labels: { [applySetKeys.partOf]: options.label } }),
      ...(options.annotations && { annotations: options.annotations }),
      managedFields: options.managers ?? [],
      ...(options.ownerReferences && { ownerReferences: options.ownerReferences }),
    },
  };
}
const manifest = (annotations?: Record<string, string>, ownerReferences?: object[]): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', ...(annotations && { annotations }), ...(ownerReferences && { ownerReferences }) } });

describe('membership: what prune may act on', () => {
  it.each([
    { name: 'our label, applied by driftless', object: live({ label: ours, managers: [appliedByDriftless] }), member: true },
    { name: 'our label copied by a controller that owns it (an EndpointSlice)', object: live({ label: ours, managers: [{ manager: 'endpointslice-controller', operation: 'Update', fieldsV1: labelOwned }], ownerReferences: [controllerRef] }), member: false },
    { name: 'our label applied by driftless, but a controller owns the object', object: live({ label: ours, managers: [appliedByDriftless], ownerReferences: [controllerRef] }), member: false },
    { name: 'our label added by hand', object: live({ label: ours, managers: [{ manager: 'kubectl-label', operation: 'Update', fieldsV1: labelOwned }] }), member: false },
    { name: 'our label; driftless applied other fields only', object: live({ label: ours, managers: [{ ...appliedByDriftless, fieldsV1: { 'f:data': {} } }] }), member: false },
    { name: 'a non-controller owner reference', object: live({ label: ours, managers: [appliedByDriftless], ownerReferences: [{ ...controllerRef, controller: false }] }), member: true },
    { name: 'another ApplySet', object: live({ label: theirs, managers: [appliedByDriftless] }), member: false },
    { name: 'no label', object: live({ managers: [appliedByDriftless] }), member: false },
  ])('$name → member: $member', ({ object, member }) => {
    expect(isMember(object, ours)).toBe(member);
  });
});

describe('ownership of a live object Git declares', () => {
  it.each<{ name: string; object: KubeObject | undefined; desired?: KubeObject; expected: Ownership }>([
    { name: 'nothing live', object: undefined, expected: { kind: 'absent' } },
    { name: 'created by this target', object: live({ label: ours, managers: [appliedByDriftless] }), expected: { kind: 'member', adopted: false } },
    { name: 'adopted by this target earlier', object: live({ label: ours, managers: [appliedByDriftless], annotations: { [ownershipKeys.adopted]: 'true' } }), expected: { kind: 'member', adopted: true } },
    { name: "another target's member", object: live({ label: theirs, managers: [appliedByDriftless], annotations: { [ownershipKeys.target]: 'shop-a' } }), expected: { kind: 'foreign', applySet: theirs, target: 'shop-a' } },
    { name: "another tool's ApplySet member", object: live({ label: theirs, managers: [{ manager: 'kubectl', operation: 'Apply', fieldsV1: labelOwned }] }), expected: { kind: 'foreign', applySet: theirs, target: undefined } },
    { name: 'a controller owns it', object: live({ managers: [{ manager: 'endpointslice-controller', operation: 'Update' }], ownerReferences: [controllerRef] }), expected: { kind: 'controlled', by: 'Service/web' } },
    { name: 'a controller owns it, as the manifest declares', object: live({ label: ours, managers: [appliedByDriftless], ownerReferences: [controllerRef] }), desired: manifest(undefined, [controllerRef]), expected: { kind: 'member', adopted: false } },
    { name: 'our label removed by hand', object: live({ managers: [{ ...appliedByDriftless, fieldsV1: { 'f:data': {} } }], annotations: { [ownershipKeys.target]: 't' } }), expected: { kind: 'member', adopted: false } },
    { name: 'our annotation on an object driftless never applied', object: live({ managers: [{ manager: 'kubectl-create', operation: 'Update' }], annotations: { [ownershipKeys.target]: 't' } }), expected: { kind: 'unowned', writers: ['kubectl-create'], kubectlApplied: false } },
    { name: 'a copy of our label', object: live({ label: ours, managers: [{ manager: 'kubectl-label', operation: 'Update', fieldsV1: labelOwned }] }), expected: { kind: 'unowned', writers: ['kubectl-label'], kubectlApplied: false } },
    { name: 'created with kubectl create', object: live({ managers: [{ manager: 'kubectl-create', operation: 'Update' }] }), expected: { kind: 'unowned', writers: ['kubectl-create'], kubectlApplied: false } },
    { name: 'created with kubectl apply', object: live({ managers: [{ manager: 'kubectl-client-side-apply', operation: 'Update' }], annotations: { [lastAppliedAnnotation]: '{}' } }), expected: { kind: 'unowned', writers: ['kubectl-client-side-apply'], kubectlApplied: true } },
  ])('$name', ({ object, desired, expected }) => {
    expect(ownershipOf(object, desired ?? manifest(), { id: ours, target: 't' })).toEqual(expected);
  });
});

describe('adoption is explicit', () => {
  const created: Ownership = { kind: 'unowned', writers: ['kubectl-create'], kubectlApplied: false };
  const applied: Ownership = { kind: 'unowned', writers: ['kubectl-client-side-apply'], kubectlApplied: true };
  const optIn = { [ownershipKeys.adopt]: 'true' };
  it.each([
    { name: 'kubectl create, default policy', owner: created, annotations: undefined, adopt: 'kubectl-applied', allowed: false },
    { name: 'kubectl create, manifest opts in', owner: created, annotations: optIn, adopt: 'annotated', allowed: true },
    { name: 'kubectl create, target adopts all', owner: created, annotations: undefined, adopt: 'all', allowed: true },
    { name: 'kubectl apply, default policy', owner: applied, annotations: undefined, adopt: 'kubectl-applied', allowed: true },
    { name: 'kubectl apply, only annotated', owner: applied, annotations: undefined, adopt: 'annotated', allowed: false },
    { name: 'kubectl apply, only annotated, opted in', owner: applied, annotations: optIn, adopt: 'annotated', allowed: true },
  ] as const)('$name → allowed: $allowed', ({ owner, annotations, adopt, allowed }) => {
    const why = refusal(owner, manifest(annotations), 'shop-b', { adopt });
    if (allowed) expect(why).toBeUndefined();
    else expect(why).toBe(`exists and was not created by target shop-b (written by ${(owner as { writers: string[] }).writers[0]}); to adopt it, annotate its manifest driftless.io/adopt: "true" or set ownership.adopt: all for the target`);
  });

  it('never takes over another target’s member or a controller’s object, opted in or not', () => {
    expect(refusal({ kind: 'foreign', applySet: theirs, target: 'shop-a' }, manifest(optIn), 'shop-b', { adopt: 'all' })).toBe("belongs to target shop-a; target shop-b does not take over another target's objects: declare it in one of them only");
    expect(refusal({ kind: 'foreign', applySet: theirs }, manifest(), 'shop-b', { adopt: 'all' })).toMatch(/another ApplySet \(applyset-theirs-v1\)/);
    expect(refusal({ kind: 'controlled', by: 'Service/web' }, manifest(optIn), 'shop-b', { adopt: 'all' })).toMatch(/controlled by Service\/web/);
  });

  it.each<{ name: string; owner: Ownership; fromGit?: string; adopted: boolean }>([
    { name: 'adopting now', owner: { kind: 'unowned', writers: [], kubectlApplied: false }, adopted: true },
    { name: 'adopted earlier', owner: { kind: 'member', adopted: true }, adopted: true },
    { name: 'created by the target, Git claims adopted', owner: { kind: 'member', adopted: false }, fromGit: 'true', adopted: false },
    { name: 'creating', owner: { kind: 'absent' }, adopted: false },
  ])('marks what is adopted: $name → $adopted', ({ owner, fromGit, adopted }) => {
    const desired = manifest(fromGit ? { [ownershipKeys.adopted]: fromGit } : undefined);
    markAdopted(desired, owner);
    expect(desired.metadata.annotations?.[ownershipKeys.adopted]).toBe(adopted ? 'true' : undefined);
  });
});

describe('release', () => {
  it('drops the label, our annotations and our field manager, and nothing else, if the object did not change', () => {
    const kubectl: ManagedFieldsEntry = { manager: 'kubectl-create', operation: 'Update', fieldsV1: { 'f:data': { 'f:owner': {} } } };
    const object = live({ label: ours, managers: [kubectl, appliedByDriftless], annotations: { [ownershipKeys.adopted]: 'true', [ownershipKeys.target]: 't', 'driftless.io/applied-hash': 'x', team: 'a' } });
    expect(releasePatch(object)).toEqual([
      { op: 'replace', path: '/metadata/resourceVersion', value: '42' },
      { op: 'remove', path: '/metadata/labels/applyset.kubernetes.io~1part-of' },
      { op: 'remove', path: '/metadata/annotations/driftless.io~1target' },
      { op: 'remove', path: '/metadata/annotations/driftless.io~1adopted' },
      { op: 'remove', path: '/metadata/annotations/driftless.io~1applied-hash' },
      { op: 'replace', path: '/metadata/managedFields', value: [kubectl] },
    ]);
    // the API server clears managedFields only when told with one empty entry
    expect(releasePatch(live({ label: ours, managers: [appliedByDriftless] })).at(-1)).toEqual({ op: 'replace', path: '/metadata/managedFields', value: [{}] });
  });
});

describe('a prune that cannot empty a target by surprise', () => {
  const deleting = (n: number): Change[] => Array.from({ length: n }, (_, i) => ({ subject: `ConfigMap/shop/c${i}`, action: 'deleted' }));
  const defaults = ownershipSchema.parse({});
  it.each([
    { name: 'nothing to delete', deleted: 0, kept: 0, policy: defaults, stops: false },
    { name: 'fewer deleted than kept', deleted: 2, kept: 5, policy: defaults, stops: false },
    { name: 'twice as many deleted as kept', deleted: 10, kept: 5, policy: defaults, stops: false },
    { name: 'more than twice as many deleted as kept', deleted: 11, kept: 5, policy: defaults, stops: true },
    { name: 'a render that lost most of the set', deleted: 47, kept: 3, policy: defaults, stops: true },
    { name: 'emptying the target', deleted: 1, kept: 0, policy: defaults, stops: true },
    { name: 'emptying it, opted in', deleted: 40, kept: 0, policy: { ...defaults, allowMassPrune: true }, stops: false },
    { name: 'a stricter ratio', deleted: 3, kept: 2, policy: { ...defaults, maxPruneRatio: 1 }, stops: true },
    { name: 'every deletion needs the opt-in', deleted: 1, kept: 100, policy: { ...defaults, maxPruneRatio: 0 }, stops: true },
  ])('$name → stops: $stops', ({ deleted, kept, policy, stops }) => {
    const attempt = () => guardPrune('shop', deleting(deleted), kept, policy);
    if (stops) expect(attempt).toThrow(PruneGuardError);
    else expect(attempt).not.toThrow();
  });

  it('says why it stopped, what to do, and lists what would have been deleted', () => {
    const err = (() => {
      try {
        guardPrune('shop', deleting(47), 3, ownershipSchema.parse({}));
      } catch (e) {
        return e as PruneGuardError;
      }
    })();
    expect(err?.permanent).toBe(true);
    expect(err?.message).toMatch(/^prune stopped before any change: this sync would delete 47 of target shop's objects and keep 3; more than 2 deleted per object kept/);
    expect(err?.message).toContain('set ownership.allowMassPrune: true for target shop');
    expect(err?.problems).toHaveLength(47);
    expect(err?.problems[0]).toEqual({ subject: 'ConfigMap/shop/c0', file: '(pruned)', message: 'would be deleted' });
  });
});
