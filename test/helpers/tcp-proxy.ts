import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * How the proxy treats connections:
 * - `pass`: forwards both ways;
 * - `latency`: forwards, each chunk from the client delayed by `latencyMs` (in order);
 * - `blackhole`: accepts and holds connections, forwards nothing (a partitioned peer);
 * - `reset`: accepts and resets at once (a peer that crashed, or a firewall rejecting).
 */
export type ProxyMode = { kind: 'pass' } | { kind: 'latency'; latencyMs: number } | { kind: 'blackhole' } | { kind: 'reset' };

/**
 * A TCP proxy on a loopback port in front of a real part (API server, Redis, git host), for
 * fault injection without touching the part: `setMode` changes how new and open connections
 * are treated. TLS passes through untouched.
 */
export class TcpProxy {
  private mode: ProxyMode = { kind: 'pass' };
  private readonly pairs = new Set<{ client: Socket; upstream?: Socket }>();
  /** Connections accepted, for asserting that a client tried. */
  connections = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    /** Where connections go; may be set after start, before the first connection (a part that listens later). */
    public upstream: { host: string; port: number },
  ) {}

  static async start(upstream: { host: string; port: number }): Promise<TcpProxy> {
    const server = createServer();
    const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
    const proxy = new TcpProxy(server, port, upstream);
    server.on('connection', (client) => proxy.accept(client));
    return proxy;
  }

  /** `host:port` of the proxy. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /**
   * Changes the mode. `reset` resets every open connection; `blackhole` cuts the open ones off
   * from the part and holds new ones; back to `pass` or `latency`, held connections go through
   * (a partition that heals: what the client sent arrives late).
   */
  setMode(mode: ProxyMode): void {
    this.mode = mode;
    for (const pair of this.pairs) {
      if (mode.kind === 'reset') {
        pair.upstream?.destroy();
        pair.client.resetAndDestroy();
      } else if (mode.kind === 'blackhole' && pair.upstream) {
        pair.upstream.destroy();
      } else if (mode.kind !== 'blackhole' && !pair.upstream) {
        this.forward(pair, mode);
      }
    }
  }

  async close(): Promise<void> {
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream?.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.connections += 1;
    const pair: { client: Socket; upstream?: Socket } = { client };
    this.pairs.add(pair);
    client.on('close', () => this.pairs.delete(pair));
    client.on('error', () => undefined);
    const mode = this.mode;
    if (mode.kind === 'reset') client.resetAndDestroy();
    else if (mode.kind === 'blackhole') client.pause();
    else this.forward(pair, mode);
  }

  private forward(pair: { client: Socket; upstream?: Socket }, mode: Extract<ProxyMode, { kind: 'pass' | 'latency' }>): void {
    const { client } = pair;
    const upstream = connect(this.upstream.port, this.upstream.host);
    pair.upstream = upstream;
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.pipe(client);
    if (mode.kind === 'pass') {
      client.pipe(upstream);
      client.resume();
      return;
    }
    // latency: chunks keep their order, each held back by the same delay
    let chain = Promise.resolve();
    client.on('data', (chunk: Buffer) => {
      chain = chain.then(() => new Promise((r) => setTimeout(r, mode.latencyMs))).then(() => {
        if (!upstream.destroyed) upstream.write(chunk);
      });
    });
    client.on('end', () => void chain.then(() => upstream.end()));
    client.resume();
  }
}
