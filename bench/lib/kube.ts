import type http from 'node:http';
import https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeApiError, KubeClient } from '../../src/kube/client.js';
import { Discovery, resourcePath, type ResourceInfo } from '../../src/kube/discovery.js';
import { listObjects } from '../../src/kube/objects.js';

/** The four kinds every bench set is made of. */
export const kinds = {
  ConfigMap: { apiVersion: 'v1', kind: 'ConfigMap' },
  Service: { apiVersion: 'v1', kind: 'Service' },
  Deployment: { apiVersion: 'apps/v1', kind: 'Deployment' },
  ServiceAccount: { apiVersion: 'v1', kind: 'ServiceAccount' },
} as const;
export type KindName = keyof typeof kinds;
export const kindNames = Object.keys(kinds) as KindName[];

/** Label every bench object carries: which set it belongs to (one set per tool and row). */
export const setLabel = 'driftless-bench/set';
/** Annotation that says which commit (iteration) of the set an object was applied from. */
export const revAnnotation = 'driftless-bench/rev';

/** Raw HTTPS access to the API server with the admin credentials of KUBECONFIG. */
export class Admin {
  readonly client: KubeClient;
  private readonly kc = new KubeConfig();
  private readonly server: URL;
  private readonly infos = new Map<KindName, ResourceInfo>();

  private constructor(kubeconfig: string) {
    this.kc.loadFromFile(kubeconfig);
    this.server = new URL(this.kc.getCurrentCluster()!.server);
    this.client = KubeClient.fromConnection({ kubeconfig });
  }

  /** Connects and looks the bench's kinds up through discovery. */
  static async connect(kubeconfig: string): Promise<Admin> {
    const a = new Admin(kubeconfig);
    const discovery = new Discovery(a.client);
    for (const k of kindNames) {
      const info = await discovery.resourceFor(kinds[k].apiVersion, k);
      if (!info) throw new Error(`the API server does not serve ${k}`);
      a.infos.set(k, info);
    }
    return a;
  }

  info(kind: KindName): ResourceInfo {
    return this.infos.get(kind)!;
  }

  private async options(): Promise<https.RequestOptions> {
    const opts: https.RequestOptions = {};
    await this.kc.applyToHTTPSOptions(opts);
    return opts;
  }

  /** A GET whose body is text (/metrics), or a stream (watch) handed to `onResponse`. */
  async open(pathAndQuery: string, onResponse: (res: http.IncomingMessage) => void): Promise<http.ClientRequest> {
    const opts = await this.options();
    const url = new URL(pathAndQuery, this.server);
    return new Promise((resolve, reject) => {
      const req = https.get(url, { ...opts, agent: false }, (res) => {
        if ((res.statusCode ?? 0) >= 300) {
          reject(new Error(`GET ${url.pathname}: HTTP ${res.statusCode}`));
          res.resume();
          return;
        }
        onResponse(res);
        resolve(req);
      });
      req.once('error', reject);
    });
  }

  async text(pathAndQuery: string): Promise<string> {
    return new Promise((resolve, reject) => {
      this.open(pathAndQuery, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        res.on('error', reject);
      }).catch(reject);
    });
  }

  async version(): Promise<string> {
    const v = await this.client.request<{ gitVersion: string }>('GET', '/version');
    return v.gitVersion;
  }

  async ensureNamespace(name: string): Promise<void> {
    try {
      await this.client.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'driftless-bench': 'true' } } } });
    } catch (err) {
      if (!(err instanceof KubeApiError && err.status === 409)) throw err;
    }
  }

  /** Deletes every bench object of these sets in these namespaces (one request per kind and namespace). */
  async deleteSets(namespaces: readonly string[], sets: readonly string[]): Promise<void> {
    const selector = `${setLabel} in (${sets.join(',')})`;
    await Promise.all(
      namespaces.flatMap((ns) =>
        kindNames.map((k) => this.client.request('DELETE', resourcePath(this.info(k), ns), { query: { labelSelector: selector } }).catch(ignoreNotFound)),
      ),
    );
  }

  async deleteSecret(namespace: string, name: string): Promise<void> {
    await this.client.request('DELETE', `/api/v1/namespaces/${namespace}/secrets/${name}`).catch(ignoreNotFound);
  }

  /** resourceVersion of every object of a set, keyed Kind/namespace/name. */
  async resourceVersions(namespaces: readonly string[], set: string): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const ns of namespaces) {
      for (const k of kindNames) {
        for (const o of await listObjects(this.client, this.info(k), ns, `${setLabel}=${set}`)) {
          out.set(`${k}/${ns}/${o.metadata.name}`, String(o.metadata.resourceVersion));
        }
      }
    }
    return out;
  }

  /** Deployments of a set that are not yet rolled out (observed, updated and available). */
  async rollingOut(namespaces: readonly string[], set: string): Promise<number> {
    let n = 0;
    for (const ns of namespaces) {
      for (const d of await listObjects(this.client, this.info('Deployment'), ns, `${setLabel}=${set}`)) {
        const status = (d.status ?? {}) as { observedGeneration?: number; availableReplicas?: number; updatedReplicas?: number };
        const want = (d.spec as { replicas?: number } | undefined)?.replicas ?? 1;
        const settled = (status.observedGeneration ?? 0) >= Number(d.metadata.generation ?? 0) && (status.availableReplicas ?? 0) >= want && (status.updatedReplicas ?? 0) >= want;
        if (!settled) n += 1;
      }
    }
    return n;
  }

  close(): void {
    this.client.close();
  }
}

function ignoreNotFound(err: unknown): void {
  if (!(err instanceof KubeApiError && err.notFound)) throw err;
}

interface SeenObject {
  rev: string | undefined;
  at: number;
  type: string;
}

/**
 * Cluster-wide watches (one per kind) on every bench object. Each event is stamped with its
 * arrival time, so "the last object applied" is known to the millisecond without polling the
 * API server while it works.
 */
export class SetWatch {
  /** Latest event per `namespace/Kind/name`. */
  private readonly seen = new Map<string, SeenObject>();
  private readonly requests: http.ClientRequest[] = [];
  private waiters: (() => void)[] = [];
  private closed = false;

  private constructor(private readonly admin: Admin) {}

  static async start(admin: Admin): Promise<SetWatch> {
    const w = new SetWatch(admin);
    await Promise.all(kindNames.map((k) => w.watch(k)));
    return w;
  }

  private async watch(kind: KindName, fromVersion?: string): Promise<void> {
    const info = this.admin.info(kind);
    let version = fromVersion;
    if (!version) {
      const list = await this.admin.client.request<{ metadata: { resourceVersion: string } }>('GET', resourcePath(info, undefined), { query: { labelSelector: setLabel, limit: '1' } });
      version = list.metadata.resourceVersion;
    }
    const query = new URLSearchParams({ watch: 'true', labelSelector: setLabel, resourceVersion: version, allowWatchBookmarks: 'true' });
    const req = await this.admin.open(`${resourcePath(info, undefined)}?${query}`, (res) => {
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const at = performance.now();
        buffer += chunk;
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          if (line.trim()) version = this.onEvent(kind, line, at) ?? version;
        }
      });
      res.on('end', () => {
        // the API server ends watches after a while: carry on from the last version seen
        if (!this.closed) void this.watch(kind, version).catch((err: unknown) => process.stderr.write(`bench: watch ${kind} failed: ${String(err)}\n`));
      });
      res.on('error', () => undefined);
    });
    this.requests.push(req);
  }

  private onEvent(kind: KindName, line: string, at: number): string | undefined {
    const event = JSON.parse(line) as { type: string; object: { metadata: { name: string; namespace?: string; resourceVersion?: string; annotations?: Record<string, string> } } };
    const m = event.object.metadata;
    if (event.type === 'BOOKMARK') return m.resourceVersion;
    this.seen.set(`${m.namespace ?? ''}/${kind}/${m.name}`, { rev: m.annotations?.[revAnnotation], at, type: event.type });
    for (const w of this.waiters) w();
    return m.resourceVersion;
  }

  /** Objects in these namespaces whose latest event carries `rev` (and is not a deletion), with the latest arrival. */
  count(namespaces: readonly string[], rev: string): { n: number; lastAt: number } {
    let n = 0;
    let lastAt = 0;
    const inScope = new Set(namespaces);
    for (const [key, s] of this.seen) {
      if (s.rev !== rev || s.type === 'DELETED' || !inScope.has(key.slice(0, key.indexOf('/')))) continue;
      n += 1;
      lastAt = Math.max(lastAt, s.at);
    }
    return { n, lastAt };
  }

  /** Resolves with the arrival time (performance.now()) of the event that made `n` objects in these namespaces carry `rev`. */
  waitFor(namespaces: readonly string[], rev: string, n: number, timeoutMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const c = this.count(namespaces, rev);
        if (c.n >= n) {
          finish();
          resolve(c.lastAt);
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out after ${timeoutMs} ms: ${this.count(namespaces, rev).n}/${n} objects in ${namespaces.join(',')} at ${rev}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
      };
      this.waiters.push(check);
      check();
    });
  }

  close(): void {
    this.closed = true;
    for (const r of this.requests) r.destroy();
  }
}

/** Cumulative request-duration histogram buckets of the API server, per verb and dry-run. */
export interface ApiMetrics {
  /** `VERB` or `VERB dry-run` → le → cumulative count. */
  buckets: Map<string, Map<number, number>>;
}

// server-side apply is its own verb (APPLY) in the API server's metrics
const mutating = new Set(['POST', 'PUT', 'PATCH', 'APPLY', 'DELETE', 'DELETECOLLECTION']);

export async function apiMetrics(admin: Admin): Promise<ApiMetrics> {
  const text = await admin.text('/metrics');
  const buckets = new Map<string, Map<number, number>>();
  const line = /^apiserver_request_duration_seconds_bucket\{([^}]*)\} (\S+)$/gm;
  for (const m of text.matchAll(line)) {
    const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!]));
    if (labels.component !== 'apiserver') continue;
    const key = `${labels.verb}${labels.dry_run ? ' dry-run' : ''}`;
    const le = labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(labels.le);
    const b = buckets.get(key) ?? new Map<number, number>();
    b.set(le, (b.get(le) ?? 0) + Number(m[2]));
    buckets.set(key, b);
  }
  return { buckets };
}

/** What the API server served between two snapshots: requests per verb, and the mutating p99. */
export function apiWindow(before: ApiMetrics, after: ApiMetrics): { requests: Record<string, number>; mutatingP99Ms: number; mutating: number } {
  const requests: Record<string, number> = {};
  const merged = new Map<number, number>();
  for (const [key, b] of after.buckets) {
    const prev = before.buckets.get(key);
    const total = (b.get(Number.POSITIVE_INFINITY) ?? 0) - (prev?.get(Number.POSITIVE_INFINITY) ?? 0);
    if (total > 0) requests[key] = total;
    if (!mutating.has(key.split(' ')[0]!)) continue;
    for (const [le, count] of b) merged.set(le, (merged.get(le) ?? 0) + count - (prev?.get(le) ?? 0));
  }
  const les = [...merged.keys()].sort((a, b) => a - b);
  const total = merged.get(Number.POSITIVE_INFINITY) ?? 0;
  return { requests, mutatingP99Ms: quantile(les, merged, total, 0.99) * 1000, mutating: total };
}

/** histogram_quantile: linear interpolation inside the bucket that holds the rank. */
function quantile(les: number[], cumulative: Map<number, number>, total: number, q: number): number {
  if (total === 0) return 0;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const le of les) {
    const count = cumulative.get(le) ?? 0;
    if (count >= rank) {
      if (le === Number.POSITIVE_INFINITY) return prevLe;
      return prevLe + (le - prevLe) * ((rank - prevCount) / Math.max(count - prevCount, 1));
    }
    prevLe = le;
    prevCount = count;
  }
  return prevLe;
}
