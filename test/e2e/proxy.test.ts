import type { ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProviders, sourceFor } from '../../src/providers/index.js';
import { remoteHead } from '../../src/sync/fetch.js';
import { sandboxEnv } from '../../src/sync/render/sandbox.js';
import { DriftlessHarness } from '../helpers/driftless.js';
import { createNamespace, testKube, uniqueName } from '../helpers/kube.js';
import { startDriftless, warmUp } from '../helpers/process.js';

const { client } = testKube();

/**
 * A forward proxy as a company runs one: `CONNECT host:port` opens a tunnel (what HTTPS clients,
 * and undici for every URL, ask for); a request in absolute form (`GET http://host/path`, what
 * curl and so git send for plain HTTP) is forwarded. Every request is recorded.
 */
async function startProxy(): Promise<{ url: string; seen: string[]; close(): Promise<void> }> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const target = new URL(req.url!);
    const upstream = http.request({ host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode!, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    seen.push(`CONNECT ${req.url}`);
    const [host, port] = req.url!.split(':');
    const upstream = net.connect(Number(port), host, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe('behind an HTTP proxy (HTTPS_PROXY, HTTP_PROXY, NO_PROXY)', () => {
  let h: DriftlessHarness;
  let namespace: string;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let child: ChildProcess | undefined;
  let output: string[] = [];
  beforeAll(async () => {
    namespace = uniqueName('proxy');
    await createNamespace(client, namespace);
    h = await DriftlessHarness.start({ namespace, inProcess: false });
    proxy = await startProxy();
  });
  afterAll(async () => {
    if (process.env.SHOW_CHILD_LOGS) console.log(output.join(''));
    child?.kill('SIGKILL');
    await proxy?.close();
    await h?.close();
    client.close();
  });

  it('fetches from git and posts statuses through the proxy; the cluster and Redis are reached directly', async () => {
    const configFile = path.join(await mkdtemp(path.join(os.tmpdir(), 'proxy-')), 'driftless.yaml');
    await writeFile(configFile, h.configYaml);
    const started = await startDriftless(configFile, { env: { HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url, NO_PROXY: '', https_proxy: undefined, http_proxy: undefined, no_proxy: undefined } });
    ({ child, output } = started);
    await warmUp(started.port, h.secret);

    const { sha, res } = await h.commitAndPush('app', { 'deploy/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {mode: fast}\n' }, { url: `http://127.0.0.1:${started.port}` });
    expect(res.status).toBe(202);
    await expect.poll(() => h.statuses(sha).find((s) => s.state !== 'pending')?.state, { timeout: 60_000 }).toBe('success');

    const github = new URL(h.github.url);
    // Node's fetch (Octokit) tunnels with CONNECT; git (libcurl) sends plain-HTTP requests in absolute form
    expect(proxy.seen).toContain(`CONNECT ${github.hostname}:${github.port}`);
    const gitRequests = proxy.seen.filter((r) => /^(GET|POST) http:\/\/.*\/(info\/refs\?service=git-upload-pack|git-upload-pack)$/.test(r));
    expect(gitRequests.length).toBeGreaterThan(0);
    // nothing else went through it: not the API server, not Redis
    expect(proxy.seen.filter((r) => r !== `CONNECT ${github.hostname}:${github.port}` && !gitRequests.includes(r))).toEqual([]);
    // the process keeps reconciling through the proxy: stopped, so the next test sees only its own requests
    started.child.kill('SIGKILL');
    await started.exited;
  });

  it('git skips the proxy for hosts in NO_PROXY (either spelling)', async () => {
    const target = h.config.targets[0]!;
    const source = await sourceFor(createProviders(h.config), target, '');
    const saved = { ...process.env };
    try {
      for (const noProxy of [{ NO_PROXY: '127.0.0.1' }, { no_proxy: 'localhost,127.0.0.1' }]) {
        process.env = { ...saved, HTTP_PROXY: proxy.url, ...noProxy };
        const before = proxy.seen.length;
        expect(await remoteHead(source.cloneUrl, 'main', source.credentials)).toBe(await h.repo.head());
        expect(proxy.seen.slice(before)).toEqual([]);
      }
      process.env = { ...saved, http_proxy: proxy.url };
      const before = proxy.seen.length;
      expect(await remoteHead(source.cloneUrl, 'main', source.credentials)).toBe(await h.repo.head());
      expect(proxy.seen[before]).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/.*info\/refs\?service=git-upload-pack$/);
    } finally {
      process.env = saved;
    }
  });

  it('keeps every proxy of the renderers pointing nowhere, whatever the process has', () => {
    const saved = { ...process.env };
    try {
      Object.assign(process.env, { HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url, NO_PROXY: '*' });
      const env = sandboxEnv('/nonexistent');
      for (const name of ['HTTPS_PROXY', 'HTTP_PROXY', 'ALL_PROXY', 'https_proxy', 'http_proxy', 'all_proxy']) expect(env[name], name).toBe('http://127.0.0.1:9');
      expect(env.NO_PROXY).toBe('');
      expect(env.GIT_SSL_CAINFO).toBeUndefined();
    } finally {
      process.env = saved;
    }
  });
});
