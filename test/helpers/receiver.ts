import { createServer, type Server } from 'node:http';

/** A local HTTP endpoint that records what it is sent, for notification tests. */
export class Receiver {
  readonly requests: { path: string; headers: Record<string, string | string[] | undefined>; body: string }[] = [];
  private constructor(private readonly server: Server) {}

  static async start(): Promise<Receiver> {
    const server = createServer();
    const receiver = new Receiver(server);
    server.on('request', (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        receiver.requests.push({ path: req.url ?? '', headers: req.headers, body });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  url(path = '/'): string {
    const address = this.server.address() as { port: number };
    return `http://127.0.0.1:${address.port}${path}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
