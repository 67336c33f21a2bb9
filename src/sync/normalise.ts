import type { ObjectProblem } from '../errors.js';
import type { ResourceInfo } from '../kube/discovery.js';
import { groupOf, isKind, secretKind } from '../kube/keys.js';
import type { KubeObject } from '../kube/objects.js';

/**
 * Puts a manifest's object in the form the API server will store, before anything compares it:
 * a namespaced object without a namespace (or with `namespace: ""`) gets the target's, a
 * cluster-scoped one loses the namespace it should not have, and a Secret's `stringData` moves
 * into `data`. Mutates `object`.
 */
export function normalise(object: KubeObject, info: ResourceInfo, defaultNamespace: string): void {
  if (info.namespaced) object.metadata.namespace ||= defaultNamespace;
  else delete object.metadata.namespace;
  if (isKind(object, secretKind)) foldStringData(object);
}

/**
 * `stringData` is write-only: the API server merges it into `data`, where a key wins over the same
 * key in `data`. Applied as `stringData`, a key removed from Git stays in `data` for good, because
 * server-side apply owns `stringData.<key>`, never `data.<key>` (kubernetes/kubernetes#108008;
 * fluxcd/pkg ssa `normalize.normalizeSecret` converts the same way). Values are UTF-8, base64 in `data`.
 */
function foldStringData(secret: KubeObject): void {
  const stringData = secret.stringData as Record<string, string> | undefined;
  if (!stringData) return;
  const data = { ...(secret.data as Record<string, string> | undefined) };
  for (const [key, value] of Object.entries(stringData)) data[key] = Buffer.from(String(value), 'utf8').toString('base64');
  secret.data = data;
  delete secret.stringData;
}

/**
 * The one identity of an object: API group (not version: `autoscaling/v1` and `autoscaling/v2`
 * name the same HorizontalPodAutoscaler), kind as discovery serves it, namespace after
 * `normalise`, name.
 */
export function identityKey(info: Pick<ResourceInfo, 'apiVersion' | 'kind'>, namespace: string | undefined, name: string): string {
  return JSON.stringify([groupOf(info.apiVersion), info.kind, namespace ?? '', name]);
}

/** An object of the set with its identity and where it came from. */
export interface Identified {
  key: string;
  subject: string;
  file: string;
}

/**
 * Splits a set into the first occurrence of each identity and one problem for every later one,
 * naming both files. Run after `normalise`: `name: a` without a namespace and `name: a` in the
 * target's namespace are one object, and applying both would let the last write win on every sync.
 */
export function findDuplicates<T extends Identified>(items: readonly T[]): { unique: T[]; problems: ObjectProblem[] } {
  const first = new Map<string, T>();
  const problems: ObjectProblem[] = [];
  for (const item of items) {
    const seen = first.get(item.key);
    if (!seen) first.set(item.key, item);
    else problems.push({ subject: item.subject, file: item.file, message: seen.file === item.file ? `defined twice in ${item.file}` : `defined twice: in ${seen.file} and in ${item.file}` });
  }
  return { unique: [...first.values()], problems };
}
