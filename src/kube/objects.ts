import { KubeApiError, type KubeClient } from './client.js';
import { resourcePath, type ResourceInfo } from './discovery.js';

/** Field manager of every write Driftless makes, so `managedFields` shows what Git owns. */
export const fieldManager = 'driftless';

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

/** Deletes an object (dependents in the background); an object already gone counts as deleted. */
export async function deleteObject(client: KubeClient, info: ResourceInfo, namespace: string | undefined, name: string): Promise<void> {
  try {
    await client.request('DELETE', resourcePath(info, namespace, name), { body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' } });
  } catch (err) {
    if (!(err instanceof KubeApiError && err.notFound)) throw err;
  }
}
