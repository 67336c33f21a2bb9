import { KubeApiError, type KubeClient } from './client.js';

import { parseGroupKind } from './keys.js';

// its home is keys.ts; re-exported for the modules that still import it from here

/** What the API server says about one kind: its URL segment and whether it lives in a namespace. */
export interface ResourceInfo {
  apiVersion: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  /** Whether `status` is a subresource (written by controllers) rather than part of the object. */
  statusSubresource: boolean;
}

interface ApiResourceList {
  resources: { name: string; kind: string; namespaced: boolean }[];
}

/**
 * Discovery cached per apiVersion. A kind missing from the cache is looked up again (at most
 * once a second per apiVersion) because a CRD applied a moment ago adds kinds to a group.
 */
export class Discovery {
  private readonly lists = new Map<string, { at: number; kinds: Map<string, ResourceInfo> | null }>();
  private readonly inflight = new Map<string, Promise<Map<string, ResourceInfo> | null>>();
  private readonly preferredVersions = new Map<string, string>();

  constructor(private readonly client: KubeClient) {}

  async resourceFor(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    const cached = this.lists.get(apiVersion);
    const hit = cached?.kinds?.get(kind);
    if (hit) return hit;
    if (cached && Date.now() - cached.at < 1000) return undefined;
    const kinds = await this.load(apiVersion);
    return kinds?.get(kind);
  }

  /** A kind by `Kind.group` (see `formatGroupKind`), at the group's preferred version. */
  async resourceForGroupKind(groupKind: string): Promise<ResourceInfo | undefined> {
    const { group, kind } = parseGroupKind(groupKind);
    if (!group) return this.resourceFor('v1', kind);
    let preferred = this.preferredVersions.get(group);
    if (!preferred) {
      try {
        const g = await this.client.request<{ preferredVersion?: { groupVersion: string } }>('GET', `/apis/${group}`);
        preferred = g.preferredVersion?.groupVersion;
      } catch (err) {
        if (!(err instanceof KubeApiError && err.notFound)) throw err;
      }
      if (!preferred) return undefined;
      this.preferredVersions.set(group, preferred);
    }
    return this.resourceFor(preferred, kind);
  }

  /** Forget an apiVersion, e.g. after its CRD became Established. */
  invalidate(apiVersion?: string): void {
    if (apiVersion) this.lists.delete(apiVersion);
    else {
      this.lists.clear();
      this.preferredVersions.clear();
    }
  }

  private load(apiVersion: string): Promise<Map<string, ResourceInfo> | null> {
    let pending = this.inflight.get(apiVersion);
    if (!pending) {
      pending = this.fetch(apiVersion).finally(() => this.inflight.delete(apiVersion));
      this.inflight.set(apiVersion, pending);
    }
    return pending;
  }

  private async fetch(apiVersion: string): Promise<Map<string, ResourceInfo> | null> {
    const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    let kinds: Map<string, ResourceInfo> | null = null;
    try {
      const list = await this.client.request<ApiResourceList>('GET', path);
      kinds = new Map();
      const names = new Set(list.resources.map((r) => r.name));
      for (const r of list.resources) {
        if (r.name.includes('/')) continue; // subresources such as deployments/status
        kinds.set(r.kind, { apiVersion, kind: r.kind, plural: r.name, namespaced: r.namespaced, statusSubresource: names.has(`${r.name}/status`) });
      }
    } catch (err) {
      if (!(err instanceof KubeApiError && err.notFound)) throw err;
    }
    this.lists.set(apiVersion, { at: Date.now(), kinds });
    return kinds;
  }
}

/** The URL of a collection or, with a name, of one object. */
export function resourcePath(info: ResourceInfo, namespace: string | undefined, name?: string): string {
  const base = info.apiVersion.includes('/') ? `/apis/${info.apiVersion}` : `/api/${info.apiVersion}`;
  const ns = info.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${info.plural}${name ? `/${encodeURIComponent(name)}` : ''}`;
}
