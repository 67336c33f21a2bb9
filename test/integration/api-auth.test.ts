import { createHash, randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { ConfigError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { startWeb, type Service } from '../../src/services.js';
import { SessionStore } from '../../src/store/sessions.js';
import { LogCapture } from '../helpers/driftless.js';
import { GitHubStandIn } from '../helpers/github-standin.js';

const hex = (n: number) => randomBytes(n).toString('hex');
const sha256 = (t: string) => createHash('sha256').update(t).digest('hex');
const legacy = hex(24);
const reader = hex(24);
const writer = hex(24);
const maintainer = hex(24);
const tokensYaml = `apiTokens: [{ name: dash, sha256: ${sha256(reader)} }, { name: ci, sha256: ${sha256(writer)}, permission: write }, { name: ops, sha256: ${sha256(maintainer)}, permission: maintain }]`;

function config(server: string, extra = ''): Config {
  return parseConfig(
    `providers: { github: { webhookSecret: s3cr3t${extra} } }\nclusters: { c: { kubeconfig: /dev/null } }\n` +
      `targets: [{ name: shop, repo: "github:acme/shop", cluster: c, namespace: shop }, { name: blog, repo: "github:acme/blog", cluster: c, namespace: blog }]\n` +
      `server: { port: 0${server} }\nredis: { url: "${process.env.REDIS_URL}", prefix: "dl-api-${hex(4)}" }\n`,
    'api.yaml',
    {},
  );
}

async function web(cfg: Config): Promise<{ url: string; config: Config; service: Service & { server: Server } }> {
  const service = await startWeb(cfg, 'api.yaml', createLogger({ level: 'silent', destination: new LogCapture() }));
  return { url: `http://127.0.0.1:${(service.server.address() as { port: number }).port}`, config: cfg, service };
}

const call = async (url: string, init: { method?: string; authorization?: string; cookie?: string; headers?: Record<string, string>; body?: unknown } = {}) => {
  const headers: Record<string, string> = { ...init.headers };
  if (init.authorization) headers.authorization = init.authorization;
  if (init.cookie) headers.cookie = init.cookie;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body), redirect: 'manual' });
  return { status: res.status, challenge: res.headers.get('www-authenticate'), body: (await res.json().catch(() => undefined)) as Record<string, unknown> | undefined };
};

/** Every /api route, with a body where it takes one. */
const routes = [
  { method: 'GET', path: '/api/targets' },
  { method: 'GET', path: '/api/targets/shop' },
  { method: 'POST', path: '/api/targets/shop/sync', body: {} },
  { method: 'POST', path: '/api/targets/shop/rollback', body: { revision: 'a'.repeat(40) } },
  { method: 'POST', path: '/api/targets/shop/lock', body: { pr: 1 } },
  { method: 'POST', path: '/api/targets/shop/unlock', body: {} },
];

describe('/api needs a token or a session; health, readiness, metrics and webhooks stay open', () => {
  let withTokens: Awaited<ReturnType<typeof web>>;
  let without: Awaited<ReturnType<typeof web>>;
  beforeAll(async () => {
    withTokens = await web(config(`, apiToken: "${legacy}", ${tokensYaml}`));
    without = await web(config(''));
  });
  afterAll(async () => {
    await withTokens?.service.close();
    await without?.service.close();
  });

  it.each([
    { name: 'no Authorization header', authorization: undefined, challenge: 'Bearer realm="driftless"', error: /send an API token \(server.apiTokens\) as Authorization: Bearer/ },
    { name: 'another scheme', authorization: `Basic ${Buffer.from(`x:${reader}`).toString('base64')}`, challenge: 'Bearer realm="driftless"', error: /Authorization: Bearer/ },
    { name: 'a wrong token', authorization: `Bearer ${reader.slice(1)}x`, challenge: 'Bearer realm="driftless", error="invalid_token"', error: /matches none of server.apiTokens/ },
    { name: 'a longer token', authorization: `Bearer ${reader}${reader}`, challenge: 'Bearer realm="driftless", error="invalid_token"', error: /matches none/ },
    { name: 'an empty bearer', authorization: 'Bearer ', challenge: 'Bearer realm="driftless"', error: /Authorization: Bearer/ },
    { name: 'a session cookie that is no session', authorization: undefined, cookie: `driftless_session=${hex(32)}`, challenge: 'Bearer realm="driftless"', error: /or sign in/ },
  ])('answers 401 to $name on every route, naming the scheme', async ({ authorization, cookie, challenge, error }) => {
    for (const route of routes) {
      const res = await call(`${withTokens.url}${route.path}`, { method: route.method, authorization, cookie, body: route.body });
      expect(res, `${route.method} ${route.path}`).toEqual({ status: 401, challenge, body: { error: expect.stringMatching(error) } });
      expect(JSON.stringify(res.body)).not.toContain(reader);
    }
  });

  it('answers the targets to each token, whatever the case of the scheme; server.apiToken still works', async () => {
    for (const token of [reader, writer, maintainer, legacy]) {
      for (const scheme of ['Bearer', 'bearer']) {
        const res = await call(`${withTokens.url}/api/targets`, { authorization: `${scheme} ${token}` });
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ targets: [{ target: 'shop' }, { target: 'blog' }] });
      }
    }
    const one = await call(`${withTokens.url}/api/targets/shop`, { authorization: `Bearer ${reader}` });
    expect(one.body).toMatchObject({ status: { target: 'shop', condition: 'never deployed' }, sync: 'never deployed', health: 'Unknown', history: [], actions: [], previews: [] });
  });

  it('guards every path under /api, not only the ones that exist', async () => {
    expect((await call(`${withTokens.url}/api/anything`)).status).toBe(401);
    expect((await call(`${withTokens.url}/api/anything`, { authorization: `Bearer ${reader}` })).status).toBe(404);
    expect((await call(`${withTokens.url}/api/targets/nope`, { authorization: `Bearer ${reader}` })).status).toBe(404);
    expect((await call(`${withTokens.url}/api/targets/shop/deploy`, { method: 'POST', authorization: `Bearer ${writer}`, body: {} })).status).toBe(404);
  });

  it('read-only tokens, server.apiToken among them, cannot act; the refusal says what is needed and is recorded', async () => {
    for (const token of [reader, legacy]) {
      for (const route of routes.filter((r) => r.method === 'POST' && !r.path.endsWith('/lock'))) {
        const res = await call(`${withTokens.url}${route.path}`, { method: 'POST', authorization: `Bearer ${token}`, body: route.body });
        expect(res.status, route.path).toBe(403);
        expect(res.body?.error).toMatch(/on shop needs (write|maintain) permission; @token:(dash|apiToken) has read/);
      }
    }
    const detail = await call(`${withTokens.url}/api/targets/shop`, { authorization: `Bearer ${reader}` });
    expect((detail.body?.actions as { result: string; actor: string }[]).filter((a) => a.result === 'refused').map((a) => a.actor)).toEqual(expect.arrayContaining(['token:dash', 'token:apiToken']));
  });

  it('a write token syncs (a sync job whose trigger names it) but may not roll back; a maintain token may, to a revision the target ran', async () => {
    const res = await call(`${withTokens.url}/api/targets/shop/sync`, { method: 'POST', authorization: `Bearer ${writer}`, body: {} });
    expect(res).toMatchObject({ status: 202, body: { result: 'queued', deliveryId: expect.stringMatching(/^api-/) } });
    const redis = new Redis(process.env.REDIS_URL!);
    const queue = new Queue('sync', { connection: redis, prefix: withTokens.config.redis.prefix });
    try {
      const jobs = await queue.getJobs(['waiting', 'delayed', 'prioritized']);
      expect(jobs.map((j) => j.data)).toContainEqual({ target: 'shop', trigger: { kind: 'api', deliveryId: res.body!.deliveryId, actor: 'token:ci' } });
    } finally {
      await queue.close();
      await redis.quit();
    }
    const rollback = await call(`${withTokens.url}/api/targets/shop/rollback`, { method: 'POST', authorization: `Bearer ${writer}`, body: {} });
    expect(rollback).toMatchObject({ status: 403, body: { error: expect.stringContaining('/rollback on shop needs maintain permission; @token:ci has write') } });
    const unknown = await call(`${withTokens.url}/api/targets/shop/rollback`, { method: 'POST', authorization: `Bearer ${maintainer}`, body: { revision: 'abcdef1' } });
    expect(unknown).toEqual(expect.objectContaining({ status: 422, body: { error: 'shop never deployed abcdef1' } }));
    const none = await call(`${withTokens.url}/api/targets/shop/rollback`, { method: 'POST', authorization: `Bearer ${maintainer}`, body: {} });
    expect(none.body).toEqual({ error: 'shop has no earlier healthy revision to roll back to' });
  });

  it('refuses every /api call when no token or sign-in is configured, and says how to turn it on', async () => {
    const res = await call(`${without.url}/api/targets`, { authorization: `Bearer ${reader}` });
    expect(res).toMatchObject({ status: 401, body: { error: expect.stringContaining('matches none') } });
    expect((await call(`${without.url}/api/targets`)).body).toEqual({ error: expect.stringContaining('the API is off: set server.apiTokens') });
  });

  it('leaves health, readiness, metrics and webhooks open', async () => {
    for (const { url } of [withTokens, without]) {
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      expect((await fetch(`${url}/metrics`)).status).toBe(200);
      // the webhook answers for itself: its own signature check, not the API token
      const hook = await fetch(`${url}/webhooks/github`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-github-event': 'ping' }, body: '{}' });
      expect(await hook.json()).toEqual({ error: expect.stringContaining('X-Hub-Signature-256') });
    }
  });

  it('refuses a token too short to be one, a hash that is not one, and two tokens of one name, naming the key', () => {
    expect(() => config(', apiToken: "short"')).toThrow(ConfigError);
    expect(() => config(', apiToken: "short"')).toThrow(/server\.apiToken.*at least 16 characters/s);
    expect(() => config(`, apiTokens: [{ name: ci, sha256: "${writer}" }]`)).toThrow(/server\.apiTokens\[0\]\.sha256: expected the SHA-256 of the token/);
    expect(() => config(`, apiTokens: [{ name: ci, sha256: ${sha256('a')} }, { name: ci, sha256: ${sha256('b')} }]`)).toThrow(/server\.apiTokens\[1\]\.name: the same name as apiTokens\[0\]/);
  });
});

describe('a session acts with its person’s permission on the repository, and only with its CSRF token', () => {
  let github: GitHubStandIn;
  let app: Awaited<ReturnType<typeof web>>;
  let redis: Redis;
  let cookie: string;
  let csrf: string;
  beforeAll(async () => {
    github = await GitHubStandIn.start({ token: 'bot-token' });
    github.setPermission('acme/shop', 'mona', 'write');
    github.setPermission('acme/blog', 'mona', 'none');
    app = await web(config('', `, token: bot-token, apiUrl: "${github.url}"`));
    redis = new Redis(process.env.REDIS_URL!);
    const { id, session } = await new SessionStore(redis, app.config.redis.prefix).create({ provider: 'github', login: 'mona' }, 60_000);
    cookie = `driftless_session=${id}`;
    csrf = session.csrf;
  });
  afterAll(async () => {
    await app?.service.close();
    await github?.close();
    await redis?.quit();
  });

  it('sees the targets of repositories its person may read, as GitHub says', async () => {
    const res = await call(`${app.url}/api/targets`, { cookie });
    expect((res.body?.targets as { target: string }[]).map((t) => t.target)).toEqual(['shop']);
    expect((await call(`${app.url}/api/targets/blog`, { cookie })).status).toBe(404);
    // asked once, then cached in the session
    await call(`${app.url}/api/targets`, { cookie });
    expect(github.find('GET', /^\/repos\/acme\/shop\/collaborators\/mona\/permission$/)).toHaveLength(1);
  });

  it('refuses an action without the CSRF token, with a wrong one, or from another origin', async () => {
    const sync = `${app.url}/api/targets/shop/sync`;
    expect(await call(sync, { method: 'POST', cookie, body: {} })).toMatchObject({ status: 403, body: { error: expect.stringContaining('missing CSRF token') } });
    expect(await call(sync, { method: 'POST', cookie, body: {}, headers: { 'x-csrf-token': `${csrf.slice(1)}x` } })).toMatchObject({ status: 403, body: { error: expect.stringContaining('wrong CSRF token') } });
    expect(await call(sync, { method: 'POST', cookie, body: {}, headers: { 'x-csrf-token': csrf, origin: 'https://evil.example' } })).toMatchObject({ status: 403, body: { error: expect.stringContaining('cross-origin') } });
  });

  it('with the token: a write collaborator syncs, recorded under their login, but may not roll back', async () => {
    const headers = { 'x-csrf-token': csrf, origin: app.url };
    expect(await call(`${app.url}/api/targets/shop/sync`, { method: 'POST', cookie, body: {}, headers })).toMatchObject({ status: 202, body: { message: 'mona asked for a sync of main' } });
    expect(await call(`${app.url}/api/targets/shop/rollback`, { method: 'POST', cookie, body: {}, headers })).toMatchObject({ status: 403, body: { error: expect.stringContaining('needs maintain permission; @mona has write') } });
    const detail = await call(`${app.url}/api/targets/shop`, { cookie });
    expect((detail.body?.actions as { action: string; actor: string; result: string }[]).map((a) => [a.action, a.actor, a.result])).toEqual([
      ['rollback', 'mona', 'refused'],
      ['sync', 'mona', 'queued'],
    ]);
  });
});
