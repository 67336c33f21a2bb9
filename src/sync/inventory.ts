import { createHash } from 'node:crypto';
import { DriftlessError } from '../errors.js';
import type { KubeClient } from '../kube/client.js';
import type { ResourceInfo } from '../kube/discovery.js';
import { getObject, serverSideApply } from '../kube/objects.js';

/** Label and annotation keys of the kubectl ApplySet convention (KEP-3659). */
export const applySetKeys = {
  id: 'applyset.kubernetes.io/id',
  partOf: 'applyset.kubernetes.io/part-of',
  tooling: 'applyset.kubernetes.io/tooling',
  groupKinds: 'applyset.kubernetes.io/contains-group-kinds',
  namespaces: 'applyset.kubernetes.io/additional-namespaces',
} as const;

export const tooling = 'driftless/v1';

/** The ApplySet parent belongs to someone else: a person must resolve it, retrying cannot. */
export class InventoryError extends DriftlessError {
  override readonly permanent = true;
}

/** The parent object of one target's ApplySet: a Secret, as kubectl's own ApplySets use. */
export interface ApplySetParent {
  /** The target whose set it is. */
  target: string;
  name: string;
  namespace: string;
  id: string;
}

/** `applyset-<base64url(sha256(name.namespace.kind.group))>-v1`, as KEP-3659 defines it. */
export function applySetId(name: string, namespace: string, kind = 'Secret', group = ''): string {
  const digest = createHash('sha256').update(`${name}.${namespace}.${kind}.${group}`).digest('base64url');
  return `applyset-${digest}-v1`;
}

export function applySetParent(target: string, namespace: string): ApplySetParent {
  const name = `driftless-${target}`;
  return { target, name, namespace, id: applySetId(name, namespace) };
}

/** What the parent says the set contains: where prune looks for members. */
export interface InventoryScope {
  /** In `formatGroupKind`'s form, as the contains-group-kinds annotation writes them. */
  groupKinds: Set<string>;
  namespaces: Set<string>;
}

const secretResource: ResourceInfo = { apiVersion: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true, statusSubresource: false };

/** Reads the parent's scope; an absent parent is an empty set (first sync). */
export async function readInventory(client: KubeClient, parent: ApplySetParent): Promise<InventoryScope> {
  const secret = await getObject(client, secretResource, parent.namespace, parent.name);
  if (!secret) return { groupKinds: new Set(), namespaces: new Set([parent.namespace]) };
  const annotations = secret.metadata.annotations ?? {};
  const labels = secret.metadata.labels ?? {};
  if (labels[applySetKeys.id] !== parent.id) {
    throw new InventoryError(`Secret/${parent.namespace}/${parent.name} exists but is not the ApplySet parent of this target (label ${applySetKeys.id} differs); rename or remove it`);
  }
  const owner = annotations[applySetKeys.tooling];
  if (owner && !owner.startsWith('driftless/')) {
    throw new InventoryError(`Secret/${parent.namespace}/${parent.name} is an ApplySet managed by ${owner}, not Driftless`);
  }
  const split = (v: string | undefined) => new Set((v ?? '').split(',').filter(Boolean));
  const namespaces = split(annotations[applySetKeys.namespaces]);
  namespaces.add(parent.namespace);
  return { groupKinds: split(annotations[applySetKeys.groupKinds]), namespaces };
}

/**
 * Writes the parent with exactly this scope. Before applying, callers write the union of the old
 * and new scope, so a crash between apply and prune never hides a member from the next prune.
 */
export async function writeInventory(client: KubeClient, parent: ApplySetParent, scope: InventoryScope): Promise<void> {
  const extra = [...scope.namespaces].filter((n) => n !== parent.namespace).sort();
  const body = {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: parent.name,
      namespace: parent.namespace,
      labels: { [applySetKeys.id]: parent.id },
      annotations: {
        [applySetKeys.tooling]: tooling,
        [applySetKeys.groupKinds]: [...scope.groupKinds].sort().join(','),
        [applySetKeys.namespaces]: extra.join(','),
      },
    },
  };
  await serverSideApply(client, secretResource, body);
}

/**
 * A set that is empty and was empty needs no parent. Its namespace may be gone: the prune that
 * emptied the set deletes the parent's namespace last, when Git no longer holds it.
 */
export function needsParent(previous: InventoryScope, next: InventoryScope): boolean {
  return previous.groupKinds.size > 0 || next.groupKinds.size > 0;
}

/** Both scopes hold the same kinds and namespaces: writing one over the other changes nothing. */
export function sameScope(a: InventoryScope, b: InventoryScope): boolean {
  const same = (x: Set<string>, y: Set<string>) => x.size === y.size && [...x].every((v) => y.has(v));
  return same(a.groupKinds, b.groupKinds) && same(a.namespaces, b.namespaces);
}

export function unionScope(a: InventoryScope, b: InventoryScope): InventoryScope {
  return { groupKinds: new Set([...a.groupKinds, ...b.groupKinds]), namespaces: new Set([...a.namespaces, ...b.namespaces]) };
}
