import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { startWeb, type Service } from '../../src/services.js';
import type { Server } from 'node:http';
import { LogCapture, sign } from '../helpers/driftless.js';
import { rawPost, type RawAnswer } from '../helpers/http.js';

const KiB = 1024;
const secret = randomBytes(16).toString('hex');
/** Small limits, so a few posts fill the budget: 256 KiB per body, 512 KiB unauthenticated in flight, 1 s per body. */
const yaml = `
providers:
  github: { webhookSecret: "${secret}" }
  gitlab: { webhookToken: "${secret}" }
  generic: { secret: "${secret}" }
clusters: { c: { kubeconfig: /dev/null } }
targets: [{ name: t, repo: "github:acme/shop", cluster: c, namespace: shop }]
server: { port: 0, maxBodyBytes: ${256 * KiB}, maxUnauthenticatedBytes: ${512 * KiB}, bodyTimeout: 1s }
redis: { url: "${process.env.REDIS_URL}", prefix: "dl-limits-${randomBytes(4).toString('hex')}" }
`;

const status = (a: RawAnswer) => ('status' in a ? a.status : a.error);
const github = (extra: Record<string, string | number> = {}) => ({
  'content-type': 'application/json',
  'x-github-event': 'push',
  'x-github-delivery': randomUUID(),
  'x-hub-signature-256': `sha256=${'0'.repeat(64)}`,
  ...extra,
});

describe('webhook intake limits: unauthenticated bytes are budgeted, cut off early and given back', () => {
  let web: Service & { server: Server };
  let url: string;
  const logs = new LogCapture();
  beforeAll(async () => {
    web = await startWeb(parseConfig(yaml, 'limits.yaml', {}), 'limits.yaml', createLogger({ level: 'info', destination: logs }));
    url = `http://127.0.0.1:${(web.server.address() as { port: number }).port}`;
  });
  afterAll(() => web?.close());

  /** A signed delivery still goes through: the budget came back. */
  const signedPing = async () => {
    const body = JSON.stringify({ zen: 'Design for failure.', hook_id: 1 });
    const res = await fetch(`${url}/webhooks/github`, { method: 'POST', headers: { ...github({ 'x-github-event': 'ping' }), 'x-hub-signature-256': sign(secret, body) }, body });
    return res.status;
  };

  it('refuses credentials the headers already show to be wrong before reading the body', async () => {
    const cases: { name: string; path: string; headers: Record<string, string>; status: number }[] = [
      { name: 'GitHub without a signature', path: 'github', headers: { ...github(), 'x-hub-signature-256': '' }, status: 401 },
      { name: 'GitHub with a malformed signature', path: 'github', headers: github({ 'x-hub-signature-256': 'sha256=abc' }), status: 401 },
      { name: 'GitLab with a wrong token', path: 'gitlab', headers: { 'content-type': 'application/json', 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': 'wrong' }, status: 401 },
      { name: 'generic without a signature', path: 'generic', headers: { 'content-type': 'application/json' }, status: 401 },
    ];
    for (const c of cases) {
      // a sender that declares 200 KiB and then sends one byte a second: only an answer from the headers is quick
      const answer = await rawPost(`${url}/webhooks/${c.path}`, { headers: { ...c.headers, 'content-length': 200 * KiB }, bytes: 200 * KiB, chunkBytes: 1, pauseMs: 1000 });
      expect(status(answer), c.name).toBe(c.status);
      // reading the body would take 200 KiB seconds: anything near that means the headers were not enough
      expect(answer.ms, c.name).toBeLessThan(5_000);
    }
  });

  it('answers 503 with Retry-After to a declared length that does not fit the budget, at once', async () => {
    // two slow senders hold 2 × 200 KiB of the 512 KiB
    const slow = [0, 1].map(() => rawPost(`${url}/webhooks/github`, { headers: { ...github(), 'content-length': 200 * KiB }, bytes: 200 * KiB, chunkBytes: 8 * KiB, pauseMs: 30 }));
    await new Promise((r) => setTimeout(r, 100));
    const refused = await rawPost(`${url}/webhooks/github`, { headers: { ...github(), 'content-length': 200 * KiB }, bytes: 200 * KiB });
    expect(refused).toMatchObject({ status: 503, headers: { 'retry-after': '5', connection: 'close' } });
    expect('body' in refused && JSON.parse(refused.body)).toEqual({ error: expect.stringContaining('server.maxUnauthenticatedBytes') });
    // the slow ones were read to the end and failed their signature, which gives their bytes back
    expect((await Promise.all(slow)).map(status)).toEqual([401, 401]);
    expect(await signedPing()).toBe(200);
  });

  it('cuts a chunked body off where it no longer fits the budget', async () => {
    const holder = rawPost(`${url}/webhooks/github`, { headers: { ...github(), 'content-length': 200 * KiB }, bytes: 200 * KiB, chunkBytes: 8 * KiB, pauseMs: 40 });
    const others = [0, 1, 2].map(() => rawPost(`${url}/webhooks/github`, { headers: { ...github(), 'transfer-encoding': 'chunked' }, bytes: 250 * KiB, chunkBytes: 16 * KiB, pauseMs: 5 }));
    const answers = (await Promise.all(others)).map(status);
    expect(answers).toContain(503);
    expect(await holder.then(status)).toBe(401);
    expect(await signedPing()).toBe(200);
  });

  it('answers 413 to a body over maxBodyBytes, declared or not', async () => {
    expect(status(await rawPost(`${url}/webhooks/github`, { headers: { ...github(), 'content-length': 300 * KiB }, bytes: 1 }))).toBe(413);
    expect(status(await rawPost(`${url}/webhooks/github`, { headers: { ...github(), 'transfer-encoding': 'chunked' }, bytes: 300 * KiB, chunkBytes: 16 * KiB }))).toBe(413);
  });

  it('answers 408 to a body that does not arrive within bodyTimeout, and gives its bytes back', async () => {
    const answer = await rawPost(`${url}/webhooks/github`, { headers: { ...github(), 'content-length': 250 * KiB }, bytes: 250 * KiB, chunkBytes: 1 * KiB, pauseMs: 100 });
    expect(status(answer)).toBe(408);
    expect(answer.ms).toBeGreaterThanOrEqual(900);
    // the whole budget is free again: two bodies that together need 500 of its 512 KiB are both read
    const both = [0, 1].map(() => rawPost(`${url}/webhooks/github`, { headers: { ...github(), 'content-length': 250 * KiB }, bytes: 250 * KiB }));
    expect((await Promise.all(both)).map(status)).toEqual([401, 401]);
  });

  it('gives back the bytes of senders that go away mid-body', async () => {
    const gone = await Promise.all([0, 1].map(() => rawPost(`${url}/webhooks/github`, { headers: { ...github(), 'content-length': 250 * KiB }, bytes: 250 * KiB, chunkBytes: 16 * KiB, abortAfter: 64 * KiB })));
    expect(gone.every((a) => 'error' in a || a.status === 0)).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    const both = [0, 1].map(() => rawPost(`${url}/webhooks/github`, { headers: { ...github(), 'content-length': 250 * KiB }, bytes: 250 * KiB }));
    expect((await Promise.all(both)).map(status)).toEqual([401, 401]);
  });

  it('does not count a body GitLab authenticated by its token against the budget', async () => {
    const holders = [0, 1].map(() => rawPost(`${url}/webhooks/github`, { headers: { ...github(), 'content-length': 250 * KiB }, bytes: 250 * KiB, chunkBytes: 8 * KiB, pauseMs: 20 }));
    await new Promise((r) => setTimeout(r, 100));
    const body = JSON.stringify({ object_kind: 'build', padding: ' '.repeat(200 * KiB) });
    const res = await fetch(`${url}/webhooks/gitlab`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-gitlab-event': 'Job Hook', 'x-gitlab-token': secret, 'idempotency-key': randomUUID() }, body });
    expect(res.status).toBe(200);
    expect((await Promise.all(holders)).map(status)).toEqual([401, 401]);
  });

  it('logs every refusal without the secret', () => {
    expect(logs.text).toContain('"status":503');
    expect(logs.text).not.toContain(secret);
  });
});
