/** A kind across its versions: `apps` + `Deployment` names `apps/v1` and any later Deployment alike. */
export interface GroupKind {
  /** API group, '' for the core group. */
  group: string;
  kind: string;
}

/** `apps/v1` → `apps`; `v1` → `` (the core group). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}

/**
 * `Kind.group`, or `Kind` for the core group: how kubectl and the ApplySet annotations write a
 * kind across its versions (apimachinery `GroupKind.String`).
 */
export function formatGroupKind(apiVersion: string, kind: string): string {
  const group = groupOf(apiVersion);
  return group ? `${kind}.${group}` : kind;
}

/** Reads `formatGroupKind`'s form back: the kind is up to the first dot (apimachinery `ParseGroupKind`). */
export function parseGroupKind(groupKind: string): GroupKind {
  const dot = groupKind.indexOf('.');
  return dot === -1 ? { group: '', kind: groupKind } : { group: groupKind.slice(dot + 1), kind: groupKind.slice(0, dot) };
}

/** Whether an object (or a discovered resource) is of this kind, in any version of its group. */
export function isKind(object: { apiVersion: string; kind: string }, kind: GroupKind): boolean {
  return object.kind === kind.kind && groupOf(object.apiVersion) === kind.group;
}

/** The kinds Driftless treats specially, by group: a `Namespace` of another group is not one. */
export const namespaceKind: GroupKind = { group: '', kind: 'Namespace' };
export const secretKind: GroupKind = { group: '', kind: 'Secret' };
export const crdKind: GroupKind = { group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition' };
