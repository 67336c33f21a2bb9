import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { appEvents, appPermissions } from '../../src/providers/github/app-setup.js';
import { GitHubManifestStandIn } from '../helpers/github-manifest-standin.js';

// `driftless github-app create` end to end, run as a person would: the CLI serves its page, a
// "browser" (this test) posts the page's form to GitHub's stand-in, follows GitHub's redirect
// back to the CLI, and the CLI exchanges the code and writes the credentials.
const root = path.resolve(import.meta.dirname, '../..');
let github: GitHubManifestStandIn;
let out: string;
beforeAll(async () => {
  github = await GitHubManifestStandIn.start();
  out = await mkdtemp(path.join(os.tmpdir(), 'driftless-app-setup-'));
});
afterAll(async () => {
  await github?.close();
  await rm(out, { recursive: true, force: true });
});

/** Runs the CLI and answers its page the way a browser would; returns its output and exit code. */
async function createThroughBrowser(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli.ts'), 'github-app', 'create', ...args], { cwd: root, env: { ...process.env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + 60_000;
  let page: string | undefined;
  while (!page && Date.now() < deadline && child.exitCode === null) {
    page = /Open (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
    if (!page) await new Promise((r) => setTimeout(r, 100));
  }
  if (!page) {
    child.kill('SIGKILL');
    throw new Error(`the CLI never offered its page: ${stdout}${stderr}`);
  }
  const html = await (await fetch(page)).text();
  const action = /<form method="post" action="([^"]+)">/.exec(html)![1]!.replaceAll('&#38;', '&');
  const manifest = /name="manifest" value="([^"]+)"/.exec(html)![1]!.replace(/&#(\d+);/g, (_, c: string) => String.fromCharCode(Number(c)));
  const registered = await fetch(action, { method: 'POST', body: new URLSearchParams({ manifest }), redirect: 'manual' });
  expect(registered.status).toBe(302);
  const done = await fetch(registered.headers.get('location')!);
  expect(done.status).toBe(200);
  return { code: await exited, stdout, stderr };
}

describe('driftless github-app create', () => {
  it('registers the App with exactly the permissions and events Driftless needs, writes its credentials to 0600 files and prints no secret', async () => {
    const result = await createThroughBrowser(['--webhook-url', 'https://driftless.example.com/webhooks/github', '--name', 'Driftless Shop', '--org', 'acme', '--api-url', `${github.url}/api/v3`, '--out', out]);
    expect(result.code).toBe(0);
    const [app] = github.apps;
    expect(app).toMatchObject({ owner: 'acme', manifest: { name: 'Driftless Shop', hook_attributes: { url: 'https://driftless.example.com/webhooks/github' }, public: false } });
    expect(app!.manifest.default_permissions).toEqual(appPermissions);
    expect(app!.manifest.default_events).toEqual([...appEvents]);

    const keyFile = path.join(out, 'github-app.pem');
    const envFile = path.join(out, 'github-app.env');
    expect(await readFile(keyFile, 'utf8')).toBe(app!.pem.endsWith('\n') ? app!.pem : `${app!.pem}\n`);
    expect(await readFile(envFile, 'utf8')).toBe(`GITHUB_APP_ID=${app!.id}\nGITHUB_WEBHOOK_SECRET=${app!.webhookSecret}\n`);
    for (const file of [keyFile, envFile]) expect((await stat(file)).mode & 0o777).toBe(0o600);

    const printed = result.stdout + result.stderr;
    expect(printed).toContain(`Created GitHub App driftless-shop (id ${app!.id})`);
    expect(printed).toContain(`${github.url}/apps/driftless-shop/installations/new`);
    expect(printed).not.toContain(app!.webhookSecret);
    expect(printed).not.toContain('PRIVATE KEY');

    // what it prints is a configuration that loads, with the written files
    const snippet = printed.slice(printed.indexOf('  providers:'));
    const rest = 'clusters: { prod: { inCluster: true } }\ntargets: [{ name: shop, repo: "github:acme/shop", cluster: prod, namespace: shop }]\n';
    const config = parseConfig(`${snippet.replace(/^ {2}/gm, '')}\n${rest}`, path.join(out, 'driftless.yaml'), { GITHUB_APP_ID: String(app!.id), GITHUB_WEBHOOK_SECRET: app!.webhookSecret });
    expect(config.providers.github?.app).toEqual({ appId: app!.id, privateKey: app!.pem.trim() });
  });

  it('refuses a redirect that is not from its own set-up and keeps waiting for the real one', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli.ts'), 'github-app', 'create', '--webhook-url', 'https://d.example.com/webhooks/github', '--api-url', `${github.url}/api/v3`, '--out', out], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const deadline = Date.now() + 60_000;
    let page: string | undefined;
    while (!page && Date.now() < deadline) {
      page = /Open (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
      if (!page) await new Promise((r) => setTimeout(r, 100));
    }
    try {
      const forged = await fetch(`${page}/callback?code=whatever&state=not-ours`);
      expect(forged.status).toBe(400);
      expect(await forged.text()).toContain('not from this set-up');
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill('SIGKILL');
    }
  });
});
