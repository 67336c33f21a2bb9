import https from 'node:https';
import http from 'node:http';
import { createRequire } from 'node:module';
import type { KubeConfig } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';

/** How to reach a cluster: a kubeconfig file (and context) or the pod's service account. */
export type ClusterConnection = { inCluster?: false; kubeconfig: string; context?: string } | { inCluster: true };

/** Status reasons that blame the request whatever the code: an admission webhook may deny with a 5xx. */
const objectFaultReasons = new Set(['BadRequest', 'Invalid', 'Forbidden', 'NotAcceptable', 'UnsupportedMediaType', 'RequestEntityTooLarge', 'MethodNotAllowed']);

/**
 * 500s without a reason that come from the object itself: server-side apply's field manager
 * (k8s.io/apimachinery managedfields structuredmerge.go) answers a list with duplicate keys, or
 * a value its schema cannot type, with a bare error, which the API server sends as a 500.
 */
const objectFaultMessage = /failed to create typed (patch|live) object|to smd typed|duplicate entries for key/;

/** An error answered by the API server, with its Status reason (NotFound, Conflict, Invalid, ...). */
export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly details?: { causes?: { field?: string; message?: string; reason?: string }[] },
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
  get notFound(): boolean {
    return this.status === 404;
  }
  /** The object or the request is at fault, so retrying the same request cannot help. */
  get permanent(): boolean {
    if (this.status >= 400 && this.status < 500) return this.status !== 429 && this.status !== 409;
    return objectFaultReasons.has(this.reason) || objectFaultMessage.test(this.message);
  }
}

// loaded on first use: the web never talks to a cluster, and the package costs ~50 MB of RSS
const load = createRequire(import.meta.url);
const kubeConfigClass = (): typeof KubeConfig => (load('@kubernetes/client-node') as { KubeConfig: typeof KubeConfig }).KubeConfig;

const transientNetwork = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT']);

/** Waits before each retry of a request, ms: four retries within 1.5 s. */
const retryDelaysMs = [100, 200, 400, 800];

const retryable = (err: unknown): boolean =>
  err instanceof KubeApiError ? !err.permanent && (err.status === 429 || err.status === 503) : transientNetwork.has((err as NodeJS.ErrnoException).code ?? '');

export interface RequestOptions {
  body?: unknown;
  contentType?: string;
  /** The Accept header; `application/json` unless given (a metadata-only list asks for another). */
  accept?: string;
  query?: Record<string, string | undefined>;
}

/** One request as it leaves for the API server (each retry is one more). */
export interface SentRequest {
  method: string;
  /** The URL path, without the query. */
  path: string;
  query: Readonly<Record<string, string>>;
  accept: string;
}

/**
 * A raw JSON client for the Kubernetes API on top of client-node's KubeConfig (which handles
 * every auth method). We do not use KubernetesObjectApi for objects: it deserializes into
 * typed models, which drops fields its models do not know and turns timestamps into Dates,
 * and that would make diffs against live objects lie.
 */
export class KubeClient {
  private readonly agent: https.Agent | http.Agent;
  private readonly server: URL;
  private authCache?: { headers: http.OutgoingHttpHeaders; tls: https.RequestOptions; at: number };
  private readonly listeners = new Set<(request: SentRequest) => void>();

  private constructor(private readonly kubeConfig: KubeConfig) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
    const options = { keepAlive: true, maxSockets: 64 };
    this.agent = this.server.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
  }

  static fromConnection(connection: ClusterConnection): KubeClient {
    const kc = new (kubeConfigClass())();
    if (connection.inCluster === true) kc.loadFromCluster();
    else {
      kc.loadFromFile(connection.kubeconfig);
      if (connection.context) kc.setCurrentContext(connection.context);
    }
    return new KubeClient(kc);
  }

  get serverUrl(): string {
    return this.server.toString();
  }

  /**
   * Calls `listener` with every request sent from now on: what a request counter (a metric, a
   * test that a sync asks no more than it should) needs. Returns the function that removes it.
   */
  onRequest(listener: (request: SentRequest) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Auth headers and TLS material; refreshed every minute so rotating tokens keep working. */
  private async auth(): Promise<NonNullable<KubeClient['authCache']>> {
    if (this.authCache && Date.now() - this.authCache.at < 60_000) return this.authCache;
    const opts: https.RequestOptions = {};
    await this.kubeConfig.applyToHTTPSOptions(opts);
    const { headers = {}, ...tls } = opts;
    this.authCache = { headers: headers as http.OutgoingHttpHeaders, tls, at: Date.now() };
    return this.authCache;
  }

  /**
   * One API call. Throttling (429), an API server that is starting or just got a new CRD
   * ("storage is (re)initializing", 503) and dropped connections are retried briefly here, so
   * a sync does not fail on what clears up in a second; everything else is the caller's.
   */
  async request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    // a plain loop rather than p-retry, whose set-up per call (retry operation, timers, abort
    // signal) took 0.4 of the worker's CPU-s in a first apply of 1,000 objects that never retried
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once<T>(method, path, options);
      } catch (err) {
        if (attempt === retryDelaysMs.length || !retryable(err)) throw err;
        await sleep(retryDelaysMs[attempt]);
      }
    }
  }

  private async once<T>(method: string, path: string, options: RequestOptions): Promise<T> {
    const { headers: authHeaders, tls } = await this.auth();
    const url = new URL(path, this.server);
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
    const accept = options.accept ?? 'application/json';
    const headers: http.OutgoingHttpHeaders = { ...authHeaders, accept };
    if (payload) {
      headers['content-type'] = options.contentType ?? 'application/json';
      headers['content-length'] = payload.length;
    }
    const transport = url.protocol === 'https:' ? https : http;
    if (this.listeners.size > 0) {
      const sent: SentRequest = { method, path: url.pathname, query: Object.fromEntries(url.searchParams), accept };
      for (const listener of this.listeners) listener(sent);
    }
    return new Promise<T>((resolve, reject) => {
      const req = transport.request(url, { ...tls, method, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          let data: unknown;
          try {
            data = text ? JSON.parse(text) : undefined;
          } catch {
            data = undefined;
          }
          if (status >= 200 && status < 300) return resolve(data as T);
          const s = (data ?? {}) as { reason?: string; message?: string; details?: KubeApiError['details'] };
          reject(new KubeApiError(status, s.reason ?? String(status), s.message ?? (text.slice(0, 500) || `HTTP ${status}`), s.details));
        });
      });
      req.on('error', reject);
      req.setTimeout(60_000, () => req.destroy(new Error(`${method} ${url.pathname}: no answer from the API server in 60 s`)));
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
