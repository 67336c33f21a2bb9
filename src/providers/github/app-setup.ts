import { randomBytes } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { Octokit } from '@octokit/rest';
import { DriftlessError } from '../../errors.js';

/**
 * Exactly what Driftless needs of a GitHub App, as the manifest flow takes it
 * (https://docs.github.com/apps/sharing-github-apps/registering-a-github-app-from-a-manifest):
 * check runs and commit statuses to report, contents to clone, pull requests and issues for
 * previews and comment commands, deployments for environments; the events it acts on.
 */
export const appPermissions = {
  checks: 'write',
  statuses: 'write',
  contents: 'read',
  pull_requests: 'write',
  issues: 'write',
  deployments: 'write',
  metadata: 'read',
} as const;
export const appEvents = ['push', 'pull_request', 'issue_comment', 'check_run'] as const;

export interface AppSetupOptions {
  /** GitHub's web address, where the App is registered: `https://github.com` or a GHES host. */
  webUrl: string;
  /** Its REST API: `https://api.github.com` or `https://<host>/api/v3`. */
  apiUrl: string;
  /** Register the App in this organization instead of the signed-in person's account. */
  org?: string;
  /** The App's name on GitHub (unique there). */
  name: string;
  /** Where GitHub sends webhook deliveries: Driftless's `/webhooks/github`. */
  webhookUrl: string;
  /** Folder the key and the environment file are written to. */
  outDir: string;
  /** Local port of the set-up page (0: any free one). */
  port: number;
  /** Called with the local page's address once it listens: the person opens it in a browser. */
  onReady(url: string): void;
  /** How long to wait for the person to finish on GitHub, in milliseconds (default 15 minutes). */
  timeoutMs?: number;
}

export interface CreatedApp {
  appId: number;
  slug: string;
  /** The private key, mode 0600: what `providers.github.app.privateKeyFile` reads. */
  keyFile: string;
  /** `GITHUB_APP_ID` and `GITHUB_WEBHOOK_SECRET`, mode 0600, for the config's `${ENV}` references. */
  envFile: string;
  /** Where the person installs the App on repositories. */
  installUrl: string;
}

/** What GitHub answers `POST /app-manifests/{code}/conversions` with; the secrets are only ever written to files. */
interface Conversion {
  id: number;
  slug: string;
  html_url: string;
  pem: string;
  webhook_secret: string | null;
}

/**
 * Registers a GitHub App through GitHub's manifest flow: serves a local page whose form posts
 * the manifest to GitHub, where the person confirms; GitHub redirects back with a one-time code,
 * which is exchanged for the App's id, key and webhook secret. These are written to files with
 * mode 0600, never to the log or the terminal. Errors: a DriftlessError when the person does
 * not finish within the timeout, the state does not match (a redirect not from this run), or
 * the exchange fails.
 */
export async function createAppFromManifest(options: AppSetupOptions): Promise<CreatedApp> {
  const state = randomBytes(16).toString('hex');
  let finish!: (result: CreatedApp | Error) => void;
  const finished = new Promise<CreatedApp | Error>((resolve) => (finish = resolve));
  const server = http.createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('Driftless could not finish the set-up; see the terminal.');
      finish(err instanceof Error ? err : new Error(String(err)));
    });
  });
  let local = '';

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', local);
    if (req.method === 'GET' && url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(setupPage(options, state, `${local}/callback`));
      return;
    }
    if (req.method === 'GET' && url.pathname === '/callback') {
      const code = url.searchParams.get('code');
      if (url.searchParams.get('state') !== state || !code) {
        res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end('This redirect is not from this set-up (state does not match).');
        return;
      }
      const created = await convert(options, code);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><title>Driftless</title><p>GitHub App <b>${escapeHtml(created.slug)}</b> created. Install it: <a href="${escapeHtml(created.installUrl)}">${escapeHtml(created.installUrl)}</a>. You can close this page.`);
      finish(created);
      return;
    }
    res.writeHead(404).end();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  local = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const timer = setTimeout(() => finish(new DriftlessError(`no GitHub App was created within ${Math.round((options.timeoutMs ?? 900_000) / 60_000)} minutes; run the set-up again`)), options.timeoutMs ?? 900_000);
  options.onReady(local);
  try {
    const result = await finished;
    if (result instanceof Error) throw result;
    return result;
  } finally {
    clearTimeout(timer);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** The manifest GitHub registers the App from. */
export function appManifest(options: Pick<AppSetupOptions, 'name' | 'webhookUrl'>, redirectUrl: string): Record<string, unknown> {
  return {
    name: options.name,
    url: 'https://github.com/driftless-gitops/driftless',
    hook_attributes: { url: options.webhookUrl, active: true },
    redirect_url: redirectUrl,
    public: false,
    default_permissions: appPermissions,
    default_events: appEvents,
  };
}

function setupPage(options: AppSetupOptions, state: string, redirectUrl: string): string {
  const register = options.org ? `${options.webUrl}/organizations/${encodeURIComponent(options.org)}/settings/apps/new` : `${options.webUrl}/settings/apps/new`;
  const manifest = JSON.stringify(appManifest(options, redirectUrl));
  return `<!doctype html>
<html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Create the Driftless GitHub App</title>
<h1>Create the Driftless GitHub App</h1>
<p>GitHub will show the App <b>${escapeHtml(options.name)}</b> with the permissions Driftless needs; confirm there, and this set-up writes its key and secret to <code>${escapeHtml(options.outDir)}</code>.</p>
<form method="post" action="${escapeHtml(register)}?state=${state}">
<input type="hidden" name="manifest" value="${escapeHtml(manifest)}">
<button type="submit">Create on GitHub</button>
</form>`;
}

async function convert(options: AppSetupOptions, code: string): Promise<CreatedApp> {
  const api = new Octokit({ baseUrl: options.apiUrl, userAgent: 'driftless' });
  const { data } = await api.request('POST /app-manifests/{code}/conversions', { code }).catch((err: unknown) => {
    throw new DriftlessError(`GitHub did not exchange the set-up code: ${err instanceof Error ? err.message : String(err)}`);
  });
  const app = data as unknown as Conversion;
  await mkdir(options.outDir, { recursive: true });
  const keyFile = path.join(options.outDir, 'github-app.pem');
  const envFile = path.join(options.outDir, 'github-app.env');
  // mode 0600 even over an existing file (writeFile's mode applies only when it creates one)
  for (const [file, text] of [
    [keyFile, app.pem.endsWith('\n') ? app.pem : `${app.pem}\n`],
    [envFile, `GITHUB_APP_ID=${app.id}\nGITHUB_WEBHOOK_SECRET=${app.webhook_secret ?? ''}\n`],
  ] as const) {
    await writeFile(file, text, { mode: 0o600 });
    await chmod(file, 0o600);
  }
  return { appId: app.id, slug: app.slug, keyFile, envFile, installUrl: `${app.html_url}/installations/new` };
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
