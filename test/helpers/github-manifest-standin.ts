import { generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';

/** An App GitHub registered from a manifest, as the stand-in keeps it. */
export interface RegisteredApp {
  id: number;
  slug: string;
  owner: string;
  manifest: Record<string, unknown>;
  pem: string;
  webhookSecret: string;
}

/**
 * GitHub's side of the App manifest flow
 * (https://docs.github.com/apps/sharing-github-apps/registering-a-github-app-from-a-manifest),
 * on one host the way GitHub Enterprise Server serves it: the person's browser posts the
 * manifest form to `/settings/apps/new` (or `/organizations/<org>/settings/apps/new`) and is
 * redirected to the manifest's `redirect_url` with a one-time `code` and the `state`; the code is
 * exchanged once, within an hour, at `POST /api/v3/app-manifests/<code>/conversions` for the
 * App with its key and secrets. Codes are single-use, as GitHub's are.
 */
export class GitHubManifestStandIn {
  readonly apps: RegisteredApp[] = [];
  private readonly codes = new Map<string, RegisteredApp>();
  private readonly server = http.createServer((req, res) => void this.answer(req, res));
  url = '';

  static async start(): Promise<GitHubManifestStandIn> {
    const standIn = new GitHubManifestStandIn();
    await new Promise<void>((resolve) => standIn.server.listen(0, '127.0.0.1', resolve));
    standIn.url = `http://127.0.0.1:${(standIn.server.address() as { port: number }).port}`;
    return standIn;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async answer(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', this.url);
    const register = /^\/(?:organizations\/([^/]+)\/)?settings\/apps\/new$/.exec(url.pathname);
    if (req.method === 'POST' && register) return this.register(new URLSearchParams(body), url.searchParams.get('state') ?? '', register[1] ? decodeURIComponent(register[1]) : 'octocat', res);
    const conversion = /^\/api\/v3\/app-manifests\/([^/]+)\/conversions$/.exec(url.pathname);
    if (req.method === 'POST' && conversion) return this.convert(decodeURIComponent(conversion[1]!), res);
    this.json(res, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
  }

  private register(form: URLSearchParams, state: string, owner: string, res: http.ServerResponse): void {
    let manifest: Record<string, unknown>;
    try {
      manifest = JSON.parse(form.get('manifest') ?? '') as Record<string, unknown>;
    } catch {
      res.writeHead(422, { 'content-type': 'text/plain' }).end('Invalid GitHub App configuration: manifest is not JSON');
      return;
    }
    const hook = manifest.hook_attributes as { url?: unknown } | undefined;
    if (typeof manifest.url !== 'string' || typeof hook?.url !== 'string' || typeof manifest.redirect_url !== 'string') {
      res.writeHead(422, { 'content-type': 'text/plain' }).end('Invalid GitHub App configuration: url, hook_attributes.url and redirect_url are required');
      return;
    }
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const id = 100_000 + this.apps.length + 1;
    const name = typeof manifest.name === 'string' ? manifest.name : 'app';
    const app: RegisteredApp = { id, slug: name.toLowerCase().replace(/[^a-z0-9]+/g, '-'), owner, manifest, pem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(), webhookSecret: randomBytes(20).toString('hex') };
    this.apps.push(app);
    const code = randomBytes(10).toString('hex');
    this.codes.set(code, app);
    const back = new URL(manifest.redirect_url as string);
    back.searchParams.set('code', code);
    if (state) back.searchParams.set('state', state);
    res.writeHead(302, { location: back.toString() }).end();
  }

  private convert(code: string, res: http.ServerResponse): void {
    const app = this.codes.get(code);
    if (!app) return this.json(res, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/apps/apps#create-a-github-app-from-a-manifest' });
    this.codes.delete(code);
    const at = new Date().toISOString();
    this.json(res, 201, {
      id: app.id,
      slug: app.slug,
      node_id: Buffer.from(`App${app.id}`).toString('base64'),
      owner: { login: app.owner, id: 1, type: app.owner === 'octocat' ? 'User' : 'Organization' },
      name: app.manifest.name,
      description: null,
      external_url: app.manifest.url,
      html_url: `${this.url}/apps/${app.slug}`,
      created_at: at,
      updated_at: at,
      permissions: app.manifest.default_permissions ?? {},
      events: app.manifest.default_events ?? [],
      installations_count: 0,
      client_id: `Iv1.${randomBytes(8).toString('hex')}`,
      client_secret: randomBytes(20).toString('hex'),
      webhook_secret: app.webhookSecret,
      pem: app.pem,
    });
  }

  private json(res: http.ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)) }).end(text);
  }
}
