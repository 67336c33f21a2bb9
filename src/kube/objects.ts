import { KubeApiError, type KubeClient } from './client.js';
import { resourcePath, type ResourceInfo } from './discovery.js';

/** Field manager of every write Driftless makes, so `managedFields` shows what Git owns. */
export const fieldManager = 'driftless';

/** One entry of `metadata.managedFields`: which fields one manager owns, by one kind of operation. */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: 'Apply' | 'Update';
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  /** The owned fields as a trie: `f:<field>`, `k:<list key>`, `v:<set value>`, `i:<index>`, `.` for the node itself. */
  fieldsV1?: FieldsV1;
  /** `status`, `scale`…: the entry is for a subresource, written by controllers rather than by applies of the object. */
  subresource?: string;
}

export type FieldsV1 = { [segment: string]: FieldsV1 };

/** One RFC 6902 operation; `path` is a JSON pointer (see `pointer`). */
export type JsonPatchOp = { op: 'add' | 'replace' | 'test'; path: string; value: unknown } | { op: 'remove'; path: string };

export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown };
  [k: string]: unknown;
};

/**
 * Server-side apply as field manager `driftless`. `force` takes fields over from other managers:
 * Git is the source of truth, so a field someone changed by hand goes back to what Git says.
 */
export function serverSideApply(client: KubeClient, info: ResourceInfo, object: KubeObject, options: { dryRun?: boolean } = {}): Promise<KubeObject> {
  return client.request<KubeObject>('PATCH', resourcePath(info, object.metadata.namespace, object.metadata.name), {
    body: object,
    contentType: 'application/apply-patch+yaml',
    query: { fieldManager, force: 'true', dryRun: options.dryRun ? 'All' : undefined },
  });
}

/** A JSON pointer (RFC 6901) to the path of these keys: `pointer('metadata', 'labels', 'a/b')` is `/metadata/labels/a~1b`. */
export function pointer(...keys: string[]): string {
  return keys.map((k) => `/${k.replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

/**
 * A JSON patch (RFC 6902) as field manager `driftless`: what server-side apply cannot express,
 * such as rewriting `managedFields`. Include a `replace` of `/metadata/resourceVersion` to make
 * it conditional: the API server then answers 409 Conflict when the object changed meanwhile.
 */
export function jsonPatch(client: KubeClient, info: ResourceInfo, namespace: string | undefined, name: string, ops: readonly JsonPatchOp[]): Promise<KubeObject> {
  return client.request<KubeObject>('PATCH', resourcePath(info, namespace, name), { body: ops, contentType: 'application/json-patch+json', query: { fieldManager } });
}

/** The live object, or undefined when it does not exist. */
export async function getObject(client: KubeClient, info: ResourceInfo, namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
  try {
    return await client.request<KubeObject>('GET', resourcePath(info, namespace, name));
  } catch (err) {
    if (err instanceof KubeApiError && err.notFound) return undefined;
    throw err;
  }
}

/** All objects of a kind matching a label selector, in one namespace or (cluster-scoped / undefined) everywhere. */
export async function listObjects(client: KubeClient, info: ResourceInfo, namespace: string | undefined, labelSelector: string): Promise<KubeObject[]> {
  const items: KubeObject[] = [];
  let continueToken: string | undefined;
  do {
    const page = await client.request<{ items: KubeObject[]; metadata?: { continue?: string } }>('GET', resourcePath(info, namespace), {
      query: { labelSelector, limit: '500', continue: continueToken },
    });
    for (const item of page.items) items.push({ ...item, apiVersion: info.apiVersion, kind: info.kind });
    continueToken = page.metadata?.continue || undefined;
  } while (continueToken);
  return items;
}

/** An object as a metadata-only list returns it: all of `metadata`, nothing of spec or status. */
export interface ObjectMetadata {
  metadata: KubeObject['metadata'];
}

/**
 * Asks for a PartialObjectMetadataList (meta.k8s.io/v1), as client-go's metadata client does
 * (k8s.io/client-go/metadata), with plain JSON last: an aggregated API server that cannot
 * convert answers with full objects, which carry the same metadata.
 */
const metadataListAccept = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';

/**
 * The metadata of every object of a kind in one namespace (cluster-scoped / undefined: all):
 * which objects exist, with their labels and annotations, without transferring their spec.
 * A failure is a KubeApiError (same status and reason) that says which list failed.
 */
export async function listMetadata(client: KubeClient, info: ResourceInfo, namespace: string | undefined): Promise<ObjectMetadata[]> {
  const items: ObjectMetadata[] = [];
  let continueToken: string | undefined;
  try {
    do {
      // an empty PartialObjectMetadataList has `items: null`
      const page = await client.request<{ items: ObjectMetadata[] | null; metadata?: { continue?: string } }>('GET', resourcePath(info, namespace), {
        accept: metadataListAccept,
        query: { limit: '500', continue: continueToken },
      });
      for (const item of page.items ?? []) items.push({ metadata: item.metadata });
      continueToken = page.metadata?.continue || undefined;
    } while (continueToken);
  } catch (err) {
    if (!(err instanceof KubeApiError)) throw err;
    const where = namespace === undefined ? '' : ` in namespace ${namespace}`;
    throw new KubeApiError(err.status, err.reason, `listing which ${info.kind} objects exist${where} (metadata-only LIST of ${info.plural}; Driftless needs list permission on it) failed: ${err.message}`, err.details);
  }
  return items;
}

/** Deletes an object (dependents in the background); an object already gone counts as deleted. */
export async function deleteObject(client: KubeClient, info: ResourceInfo, namespace: string | undefined, name: string): Promise<void> {
  try {
    await client.request('DELETE', resourcePath(info, namespace, name), { body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' } });
  } catch (err) {
    if (!(err instanceof KubeApiError && err.notFound)) throw err;
  }
}
