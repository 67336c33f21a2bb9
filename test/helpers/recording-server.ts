import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What the local HTTP stand-ins share: a server on 127.0.0.1 at a free port, a log of every
 * request, failure injection, JSON answers, route dispatch and a close that ends open
 * connections. GitHubStandIn and GitLabStandIn extend RecordingServer; GitHttpServer uses the
 * listen and stop functions.
 */

/** One request as the stand-in received it. */
export interface RecordedRequest {
  method: string;
  /** Path as received (still percent-encoded), without the query. */
  path: string;
  query: Record<string, string>;
  /** Parsed body (JSON, or a form where the stand-in accepts one), or undefined when there was none. */
  body: unknown;
  headers: http.IncomingHttpHeaders;
  /** Response status; 0 until answered. */
  status: number;
}

/** An error answer: status and the JSON body the real API would send. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(typeof body.message === 'string' ? body.message : JSON.stringify(body));
  }
}

export type Params = Record<string, string>;

/** What a route handler answers. */
export interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** A route: method, a pattern over the path, and a handler of the stand-in's context type. */
export interface Route<C> {
  method: string;
  pattern: RegExp;
  handler: (ctx: C) => Answer;
}

interface Failure {
  method: string;
  path: RegExp;
  status: number;
  remaining: number;
  body: unknown;
  headers: Record<string, string>;
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Compares secrets in constant time; hashing first hides the length as well. */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** A new HTTP server listening on 127.0.0.1 at a free port, and its base URL. */
export async function listenOnLoopback(): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}` };
}

/** Stops listening and ends open connections; resolves once the server has closed. */
export function stopServer(server: http.Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  return closed;
}

/**
 * The page a list request asks for: `per_page` from 1 to 100 (`defaultPerPage` when absent or
 * not a number), `page` from 1; with the number of pages (at least 1) and that page's items.
 */
export function pageOf<T>(items: readonly T[], query: Record<string, string>, defaultPerPage: number): { perPage: number; page: number; pages: number; slice: T[] } {
  const perPage = Math.min(Math.max(Number.parseInt(query.per_page ?? String(defaultPerPage), 10) || defaultPerPage, 1), 100);
  const page = Math.max(Number.parseInt(query.page ?? '1', 10) || 1, 1);
  const pages = Math.max(Math.ceil(items.length / perPage), 1);
  return { perPage, page, pages, slice: items.slice((page - 1) * perPage, page * perPage) };
}

const toPattern = (path: RegExp | string): RegExp => (typeof path === 'string' ? new RegExp(path) : path);

/**
 * A JSON API stand-in that records every request. A request's body is read and parsed, an
 * injected failure answered, and everything else left to `answer`; an unexpected error is a 500.
 */
export abstract class RecordingServer {
  /** Every request received, in order. */
  readonly requests: RecordedRequest[] = [];
  private readonly failures: Failure[] = [];
  private closing: Promise<void> | undefined;

  protected constructor(
    private readonly server: http.Server,
    /** Base URL to give the API client. */
    readonly url: string,
  ) {
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      this.receive(req, res).catch((error: unknown) => {
        if (!res.headersSent) this.send(res, 500, this.errorBody(error));
        else res.destroy();
      });
    });
  }

  /** Stops listening and ends open connections; safe to call twice. */
  close(): Promise<void> {
    this.closing ??= stopServer(this.server);
    return this.closing;
  }

  /** Recorded requests with this method whose path matches. */
  find(method: string, path: RegExp | string): RecordedRequest[] {
    const pattern = toPattern(path);
    return this.requests.filter((r) => r.method === method.toUpperCase() && pattern.test(r.path));
  }

  /** Forgets recorded requests, keeping state. */
  clearRequests(): void {
    this.requests.length = 0;
  }

  /**
   * The next `times` requests with this method and a matching path are answered with `status`
   * (and `body`, `{message}` by default, and `headers` over the common ones) before auth or
   * routing, to exercise retries.
   */
  failNext(method: string, path: RegExp | string, status: number, times = 1, body?: unknown, headers: Record<string, string> = {}): void {
    this.failures.push({ method: method.toUpperCase(), path: toPattern(path), status, remaining: times, body, headers });
  }

  /** Answers a request that was recorded, parsed and not failed on purpose. */
  protected abstract answer(entry: RecordedRequest, req: http.IncomingMessage, res: http.ServerResponse): void;

  /** Headers of every answer: `content-type` (if any) goes first, then content-length, then the rest. */
  protected abstract commonHeaders(body: unknown): Record<string, string>;

  /** Body of the 400 answer to a request body that does not parse. */
  protected abstract badBodyAnswer(): unknown;

  /** Body of an injected failure given without one. */
  protected abstract failureBody(status: number): unknown;

  /** Body of the 500 answer to an unexpected error. */
  protected abstract errorBody(error: unknown): unknown;

  /** Parses a non-blank request body; throws when it is not valid. JSON by default. */
  protected parseBody(raw: string, _headers: http.IncomingHttpHeaders): unknown {
    return JSON.parse(raw);
  }

  /** Sends `body` as JSON (nothing when undefined) with the common headers and `headers`. */
  protected send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = body === undefined ? '' : JSON.stringify(body);
    const { 'content-type': contentType, ...common } = this.commonHeaders(body);
    res.writeHead(status, {
      ...(contentType === undefined ? {} : { 'content-type': contentType }),
      'content-length': String(Buffer.byteLength(text)),
      ...common,
      ...headers,
    });
    res.end(text);
  }

  /** A 302 to `location`, as an authorization server sends a browser back. */
  protected redirect(res: http.ServerResponse, location: string): void {
    res.writeHead(302, { location, 'content-length': '0' });
    res.end();
  }

  /**
   * Answers with the first route of this method whose pattern matches `path`, giving its
   * handler the context built from the decoded path parameters and the object body; an
   * HttpError becomes its answer. False when no route matched or the parameters do not decode.
   */
  protected route<C>(
    res: http.ServerResponse,
    routes: readonly Route<C>[],
    entry: RecordedRequest,
    path: string,
    context: (params: Params, body: Record<string, unknown>) => C,
  ): boolean {
    for (const route of routes) {
      if (route.method !== entry.method) continue;
      const match = route.pattern.exec(path);
      if (!match) continue;
      const params: Params = {};
      try {
        for (const [key, value] of Object.entries(match.groups ?? {})) params[key] = decodeURIComponent(value);
      } catch {
        return false;
      }
      const body = entry.body !== null && typeof entry.body === 'object' && !Array.isArray(entry.body) ? (entry.body as Record<string, unknown>) : {};
      try {
        const result = route.handler(context(params, body));
        this.send(res, result.status, result.body, result.headers);
      } catch (error) {
        if (!(error instanceof HttpError)) throw error;
        this.send(res, error.status, error.body);
      }
      return true;
    }
    return false;
  }

  private async receive(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const entry: RecordedRequest = {
      method: (req.method ?? 'GET').toUpperCase(),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body: undefined,
      headers: req.headers,
      status: 0,
    };
    this.requests.push(entry);
    res.on('finish', () => {
      entry.status = res.statusCode;
    });

    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    if (raw.trim() !== '') {
      try {
        entry.body = this.parseBody(raw, req.headers);
      } catch {
        this.send(res, 400, this.badBodyAnswer());
        return;
      }
    }

    const failure = this.failures.find((f) => f.remaining > 0 && f.method === entry.method && f.path.test(entry.path));
    if (failure) {
      failure.remaining -= 1;
      this.send(res, failure.status, failure.body ?? this.failureBody(failure.status), failure.headers);
      return;
    }

    this.answer(entry, req, res);
  }
}
