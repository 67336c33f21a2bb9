import pLimit from 'p-limit';
import { KubeApiError, type KubeClient } from '../../kube/client.js';

/** What a chart sees of the cluster: `.Capabilities.KubeVersion` and `.Capabilities.APIVersions`. */
export interface ClusterCapabilities {
  /** `/version`'s gitVersion, e.g. `v1.36.3`. */
  kubeVersion: string;
  /** Every served `group/version` (`v1`, `apps/v1`) and `group/version/Kind` (`apps/v1/Deployment`), sorted. */
  apiVersions: string[];
}

/** How long a cluster's capabilities are reused: a CRD installed meanwhile shows from the next read on. */
const KEEP_MS = 60_000;
const cache = new WeakMap<KubeClient, { at: number; capabilities: Promise<ClusterCapabilities> }>();

interface ApiResourceList {
  resources?: { name: string; kind: string }[];
}

async function read(client: KubeClient): Promise<ClusterCapabilities> {
  const [version, core, groups] = await Promise.all([
    client.request<{ gitVersion?: string }>('GET', '/version'),
    client.request<{ versions?: string[] }>('GET', '/api'),
    client.request<{ groups?: { versions?: { groupVersion: string }[] }[] }>('GET', '/apis'),
  ]);
  if (!version.gitVersion) throw new Error('the API server did not say its version (/version has no gitVersion)');
  const groupVersions = [...(core.versions ?? []), ...(groups.groups ?? []).flatMap((g) => (g.versions ?? []).map((v) => v.groupVersion))];
  const limit = pLimit(8);
  const kinds = await Promise.all(
    groupVersions.map((gv) =>
      limit(async () => {
        try {
          const list = await client.request<ApiResourceList>('GET', gv.includes('/') ? `/apis/${gv}` : `/api/${gv}`);
          return (list.resources ?? []).filter((r) => !r.name.includes('/')).map((r) => `${gv}/${r.kind}`);
        } catch (err) {
          // an aggregated API that is down (metrics.k8s.io answering 503) still counts as a served version
          if (err instanceof KubeApiError) return [];
          throw err;
        }
      }),
    ),
  );
  return { kubeVersion: version.gitVersion, apiVersions: [...new Set([...groupVersions, ...kinds.flat()])].sort() };
}

/**
 * The cluster's version and served API versions, as `helm template --kube-version/--api-versions`
 * want them, so that a chart testing `.Capabilities` renders as it would against that cluster
 * (Argo CD passes the same). Read from discovery (`/version`, `/api`, `/apis` and one list per
 * group version) and kept a minute per client. Rejects when the API server cannot be reached
 * (a retried error, as for any sync that cannot reach its cluster).
 */
export function clusterCapabilities(client: KubeClient): Promise<ClusterCapabilities> {
  const hit = cache.get(client);
  if (hit && Date.now() - hit.at < KEEP_MS) return hit.capabilities;
  const capabilities = read(client);
  cache.set(client, { at: Date.now(), capabilities });
  capabilities.catch(() => cache.delete(client));
  return capabilities;
}
