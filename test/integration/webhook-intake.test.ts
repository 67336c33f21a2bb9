import { request } from 'node:http';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { startWeb } from '../../src/services.js';
import { DriftlessHarness, LogCapture, pushPayload, sign } from '../helpers/driftless.js';
import { uniqueName } from '../helpers/kube.js';

/** Sends a body with a declared length in raw node:http, answering as soon as the server does. */
function rawPost(url: string, headers: Record<string, string | number>, chunks: Iterable<Buffer>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? undefined : reject(err)));
    for (const c of chunks) req.write(c);
    req.end();
  });
}

describe('webhook intake: bad input gets a clear answer and queues nothing', () => {
  let h: DriftlessHarness;
  let sha: string;
  beforeAll(async () => {
    h = await DriftlessHarness.start({ namespace: uniqueName('intake'), workers: false });
    sha = await h.repo.commit('app', { 'deploy/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n' });
  });
  afterAll(() => h?.close());

  const body = () => pushPayload({ repo: h.repoName, cloneUrl: 'x', after: sha });
  const syncJobs = () => h.config && import('bullmq').then(async ({ Queue }) => {
    const { Redis } = await import('ioredis');
    const redis = new Redis(process.env.REDIS_URL!);
    const q = new Queue('sync', { connection: redis, prefix: h.config.redis.prefix });
    const counts = await q.getJobCounts('waiting', 'delayed', 'active', 'completed', 'failed');
    await q.close();
    await redis.quit();
    return Object.values(counts).reduce((a, b) => a + b, 0);
  });

  it.each([
    { name: 'a missing signature', opts: { signature: null }, status: 401, error: /X-Hub-Signature-256/ },
    { name: 'a wrong signature', opts: { signature: 'sha256=' + '0'.repeat(64) }, status: 401, error: /signature does not match/ },
    { name: 'a signature of another length', opts: { signature: 'sha256=abc' }, status: 401, error: /signature does not match/ },
    { name: 'a form-encoded body', opts: { contentType: 'application/x-www-form-urlencoded' }, status: 415, error: /application\/json/ },
  ])('answers $status to $name', async ({ opts, status, error }) => {
    const res = await h.push(body(), opts);
    expect(res.status).toBe(status);
    expect(String(res.body.error)).toMatch(error);
  });

  it('answers 400 to a signed body that is not JSON', async () => {
    const text = '{"ref": "refs/heads/main", ';
    const res = await h.push(text, { signature: sign(h.secret, text) });
    expect(res).toEqual({ status: 400, body: { error: 'body is not valid JSON' } });
  });

  it('answers 400 to a signed push missing its fields', async () => {
    const text = JSON.stringify({ ref: 'refs/heads/main' });
    const res = await h.push(text, { signature: sign(h.secret, text) });
    expect(res.status).toBe(400);
    expect(String(res.body.error)).toMatch(/missing fields: .*after/);
  });

  it('answers 413 to a declared length over the cap without reading it', async () => {
    const res = await rawPost(`${h.url}/webhooks/github`, { 'content-type': 'application/json', 'content-length': 30 * 1024 * 1024, 'x-github-event': 'push' }, [Buffer.from('{')]);
    expect(res.status).toBe(413);
  });

  it('answers 413 to a chunked body that grows past the cap', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    // signed (wrongly): a delivery without a signature is refused before its body is read
    const res = await rawPost(`${h.url}/webhooks/github`, { 'content-type': 'application/json', 'transfer-encoding': 'chunked', 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` }, Array.from({ length: 27 }, () => chunk));
    expect(res.status).toBe(413);
  });

  it.each([
    { name: 'ping', event: 'ping', payload: () => JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 }), reason: 'ping' },
    { name: 'an event it does not handle', event: 'issues', payload: () => JSON.stringify({ action: 'opened' }), reason: 'event issues is not handled' },
    { name: 'a tag push', event: 'push', payload: () => pushPayload({ repo: h.repoName, cloneUrl: 'x', after: sha, ref: 'refs/tags/v1' }), reason: 'no target follows this branch and path' },
    { name: 'a branch deletion', event: 'push', payload: () => pushPayload({ repo: h.repoName, cloneUrl: 'x', after: '0'.repeat(40), deleted: true }), reason: 'branch deleted' },
    { name: 'a push outside the target path', event: 'push', payload: () => pushPayload({ repo: h.repoName, cloneUrl: 'x', after: sha, paths: ['docs/readme.md'] }), reason: 'no target follows this branch and path' },
    { name: 'another repository', event: 'push', payload: () => pushPayload({ repo: 'someone/else', cloneUrl: 'x', after: sha }), reason: 'no target follows this branch and path' },
  ])('answers 200 "ignored" to $name and queues nothing', async ({ event, payload, reason }) => {
    const before = await syncJobs();
    const res = await h.push(payload(), { event });
    expect(res).toEqual({ status: 200, body: { result: 'ignored', reason } });
    expect(await syncJobs()).toBe(before);
  });

  it('serves /healthz and /readyz', async () => {
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${h.url}/readyz`)).json()).toEqual({ status: 'ready' });
  });
});

describe('webhook intake without Redis', () => {
  it('answers 503 within a second, never 202, and says it is not ready', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as { port: number };
        s.close(() => resolve(port));
      });
    });
    const secret = 'not-a-real-secret';
    const config = parseConfig(
      `providers: { github: { webhookSecret: ${secret} } }\nclusters: { c: { kubeconfig: /dev/null } }\ntargets: [{ name: t, repo: "github:acme/shop", cluster: c, namespace: shop }]\nserver: { port: 0 }\nredis: { url: "redis://127.0.0.1:${closedPort}" }\n`,
      'down.yaml',
      {},
    );
    const web = await startWeb(config, 'down.yaml', createLogger({ level: 'silent', destination: new LogCapture() }));
    try {
      const { port } = web.server.address() as { port: number };
      const text = pushPayload({ repo: 'acme/shop', cloneUrl: 'x', after: 'a'.repeat(40), paths: ['x'] });
      const started = performance.now();
      const res = await fetch(`http://127.0.0.1:${port}/webhooks/github`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': 'd1', 'x-hub-signature-256': sign(secret, text) },
        body: text,
      });
      const elapsed = performance.now() - started;
      expect(res.status).toBe(503);
      // the contract under test, not a benchmark: well within GitHub's 10 s, with headroom for a loaded machine
      expect(elapsed).toBeLessThan(3_000);
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(503);
    } finally {
      await web.close();
    }
  });
});
