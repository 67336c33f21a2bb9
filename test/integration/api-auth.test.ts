import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { startWeb, type Service } from '../../src/services.js';
import { LogCapture } from '../helpers/driftless.js';

const token = randomBytes(24).toString('hex');
const config = (server: string) =>
  parseConfig(
    `providers: { github: { webhookSecret: s3cr3t } }\nclusters: { c: { kubeconfig: /dev/null } }\n` +
      `targets: [{ name: shop, repo: "github:acme/shop", cluster: c, namespace: shop }]\n` +
      `server: { port: 0${server} }\nredis: { url: "${process.env.REDIS_URL}", prefix: "dl-api-${randomBytes(4).toString('hex')}" }\n`,
    'api.yaml',
    {},
  );

async function web(server: string): Promise<{ url: string; service: Service & { server: Server } }> {
  const service = await startWeb(config(server), 'api.yaml', createLogger({ level: 'silent', destination: new LogCapture() }));
  return { url: `http://127.0.0.1:${(service.server.address() as { port: number }).port}`, service };
}

describe('/api needs the bearer token; health, readiness, metrics and webhooks stay open', () => {
  let withToken: Awaited<ReturnType<typeof web>>;
  let without: Awaited<ReturnType<typeof web>>;
  beforeAll(async () => {
    withToken = await web(`, apiToken: "${token}"`);
    without = await web('');
  });
  afterAll(async () => {
    await withToken?.service.close();
    await without?.service.close();
  });

  const get = async (url: string, authorization?: string) => {
    const res = await fetch(url, { headers: authorization ? { authorization } : {} });
    return { status: res.status, challenge: res.headers.get('www-authenticate'), body: (await res.json().catch(() => undefined)) as Record<string, unknown> | undefined };
  };

  it.each([
    { name: 'no Authorization header', authorization: undefined, challenge: 'Bearer realm="driftless"', error: /send server.apiToken as Authorization: Bearer/ },
    { name: 'another scheme', authorization: `Basic ${Buffer.from(`x:${token}`).toString('base64')}`, challenge: 'Bearer realm="driftless"', error: /Authorization: Bearer/ },
    { name: 'a wrong token', authorization: `Bearer ${token.slice(1)}x`, challenge: 'Bearer realm="driftless", error="invalid_token"', error: /does not match server.apiToken/ },
    { name: 'a longer token', authorization: `Bearer ${token}${token}`, challenge: 'Bearer realm="driftless", error="invalid_token"', error: /does not match/ },
    { name: 'an empty bearer', authorization: 'Bearer ', challenge: 'Bearer realm="driftless"', error: /Authorization: Bearer/ },
  ])('answers 401 to $name, naming the scheme', async ({ authorization, challenge, error }) => {
    const res = await get(`${withToken.url}/api/targets`, authorization);
    expect(res).toEqual({ status: 401, challenge, body: { error: expect.stringMatching(error) } });
    expect(JSON.stringify(res.body)).not.toContain(token);
  });

  it('answers the targets to the right token, whatever the case of the scheme', async () => {
    for (const scheme of ['Bearer', 'bearer']) {
      const res = await get(`${withToken.url}/api/targets`, `${scheme} ${token}`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ targets: [{ target: 'shop' }] });
    }
  });

  it('guards every path under /api, not only the ones that exist', async () => {
    expect((await get(`${withToken.url}/api/anything`)).status).toBe(401);
    expect((await get(`${withToken.url}/api/anything`, `Bearer ${token}`)).status).toBe(404);
  });

  it('refuses every /api call when no token is configured, and says how to turn it on', async () => {
    const res = await get(`${without.url}/api/targets`, `Bearer ${token}`);
    expect(res).toMatchObject({ status: 401, body: { error: expect.stringContaining('set server.apiToken') } });
  });

  it('leaves health, readiness, metrics and webhooks open', async () => {
    for (const { url } of [withToken, without]) {
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      expect((await fetch(`${url}/metrics`)).status).toBe(200);
      // the webhook answers for itself: its own signature check, not the API token
      const hook = await fetch(`${url}/webhooks/github`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-github-event': 'ping' }, body: '{}' });
      expect(await hook.json()).toEqual({ error: expect.stringContaining('X-Hub-Signature-256') });
    }
  });

  it('refuses a token too short to be one, naming the key', () => {
    expect(() => config(', apiToken: "short"')).toThrow(ConfigError);
    expect(() => config(', apiToken: "short"')).toThrow(/server\.apiToken.*at least 16 characters/s);
  });
});
