import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { startWeb, type Service } from '../../src/services.js';
import { LogCapture } from '../helpers/driftless.js';

// Generated deliveries (fast-check) against the real receivers: `driftless serve`'s express app
// on port 0, real Redis behind the intake. Bodies are documented payloads with random parts
// replaced or removed, random JSON and random bytes; credentials are right, wrong, malformed or
// missing. Whatever arrives: never a 5xx, never a crash, memory bounded. FUZZ_RUNS=<n> runs n
// deliveries per receiver instead (a deeper search than the suite's).

type Json = Record<string, unknown>;
const require = createRequire(import.meta.url);
const secret = randomBytes(16).toString('hex');
const signingKey = randomBytes(32);

const githubExamples = (require('@octokit/webhooks-examples') as { name: string; examples: Json[] }[]).flatMap((e) => e.examples.map((payload) => ({ event: e.name, payload })));
const gitlabExamples = (['push', 'merge_request', 'note'] as const).map((name) => ({
  event: { push: 'Push Hook', merge_request: 'Merge Request Hook', note: 'Note Hook' }[name],
  payload: JSON.parse(
    readFileSync(path.resolve(import.meta.dirname, `../fixtures/gitlab/${name}.json`), 'utf8')
      .replaceAll('__GITLAB_URL__', 'https://gitlab.example.com')
      .replaceAll('__GITLAB_HOST__', 'gitlab.example.com')
      .replace(/__[A-Z0-9_]+_SHA__/g, () => randomBytes(20).toString('hex')),
  ) as Json,
}));
const genericExample = { event: '', payload: { repo: 'github:Codertocat/Hello-World', ref: 'refs/heads/main', sha: 'a'.repeat(40) } as Json };

/** Every path into a JSON value, for mutations to aim at. */
function paths(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return [at];
  const keys: (string | number)[] = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return [at, ...keys.flatMap((k) => paths((value as Record<string | number, unknown>)[k], [...at, k]))];
}

type Mutation = { pick: number; op: 'set' | 'delete'; value: unknown };

/** The payload with each mutation applied at the path it picks (modulo the paths there are). */
function mutate(payload: Json, mutations: Mutation[]): unknown {
  let root: unknown = structuredClone(payload);
  for (const m of mutations) {
    const all = paths(root);
    const where = all[m.pick % all.length]!;
    if (where.length === 0) {
      root = m.value;
      continue;
    }
    const parent = where.slice(0, -1).reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], root) as Record<string | number, unknown>;
    const key = where[where.length - 1]!;
    if (m.op === 'delete' && !Array.isArray(parent)) delete parent[key];
    else parent[key] = m.value;
  }
  return root;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  pick: fc.nat(),
  op: fc.constantFrom('set', 'delete'),
  value: fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.string({ unit: 'binary', maxLength: 300 }), fc.constantFrom(null, '', 0, -1, 1e308, 2 ** 53, '0'.repeat(40), 'refs/heads/main', '/deploy', '/deploy Hello-World', [], {})),
});

const printable = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 80 });

/** A body: a documented payload, mutated, as JSON text (sometimes cut short); or random JSON or bytes. */
const body = (example: { payload: Json }) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.tuple(fc.array(mutation, { maxLength: 3 }), fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.nat() })).map(([ms, cut]) => {
      const text = JSON.stringify(mutate(example.payload, ms)) ?? 'null';
      return Buffer.from(cut === undefined ? text : text.slice(0, cut % (text.length + 1)));
    }) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2048 }).map((b) => Buffer.from(b)) },
  );

/** How a delivery presents its credential. */
const credential = fc.constantFrom('right', 'right', 'right', 'right', 'right', 'wrong', 'missing', 'malformed');

const hmacHex = (raw: Buffer) => createHmac('sha256', secret).update(raw).digest('hex');

/** A delivery to one receiver: its path, headers and raw body. */
interface Delivery {
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

const githubDelivery: fc.Arbitrary<Delivery> = fc
  .constantFrom(...githubExamples)
  .chain((example) => fc.tuple(fc.constant(example), body(example), credential, fc.oneof(fc.constant(example.event), printable), fc.option(printable, { nil: undefined })))
  .map(([, raw, cred, event, delivery]) => {
    const signature = { right: `sha256=${hmacHex(raw)}`, wrong: `sha256=${hmacHex(Buffer.concat([raw, Buffer.from(' ')]))}`, missing: undefined, malformed: `sha1=${hmacHex(raw)}` }[cred];
    return { path: '/webhooks/github', body: raw, headers: { 'x-github-event': event, ...(delivery === undefined ? {} : { 'x-github-delivery': delivery }), ...(signature ? { 'x-hub-signature-256': signature } : {}) } };
  });

const gitlabDelivery: fc.Arbitrary<Delivery> = fc
  .constantFrom(...gitlabExamples)
  .chain((example) => fc.tuple(fc.constant(example), body(example), credential, fc.boolean(), fc.oneof(fc.constant(example.event), printable), fc.integer({ min: -600, max: 600 })))
  .map(([, raw, cred, signed, event, skew]) => {
    const headers: Record<string, string> = { 'x-gitlab-event': event, 'idempotency-key': randomUUID() };
    if (signed) {
      const id = `msg_${randomUUID()}`;
      const timestamp = String(Math.floor(Date.now() / 1000) + skew);
      const mac = createHmac('sha256', cred === 'right' ? signingKey : randomBytes(32)).update(`${id}.${timestamp}.`).update(raw).digest('base64');
      Object.assign(headers, { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': cred === 'malformed' ? 'v1,!!' : `v1,${mac}` });
    } else if (cred !== 'missing') headers['x-gitlab-token'] = cred === 'right' ? secret : cred === 'wrong' ? `${secret}x` : ' ';
    return { path: '/webhooks/gitlab', body: raw, headers };
  });

const genericDelivery: fc.Arbitrary<Delivery> = fc.tuple(body(genericExample), credential, fc.option(printable, { nil: undefined })).map(([raw, cred, delivery]) => {
  const signature = { right: `sha256=${hmacHex(raw)}`, wrong: `sha256=${'0'.repeat(64)}`, missing: undefined, malformed: 'sha256=xyz' }[cred];
  return { path: '/webhooks/generic', body: raw, headers: { ...(signature ? { 'x-signature-256': signature } : {}), ...(delivery === undefined ? {} : { 'x-delivery-id': delivery }) } };
});

const contentType = fc.oneof({ weight: 8, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: fc.constantFrom('application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded') }, { weight: 1, arbitrary: printable });

describe('webhook receivers under generated deliveries', () => {
  let web: Service & { server: Server };
  let url: string;
  const logs = new LogCapture();
  const seen = new Map<number, number>();
  beforeAll(async () => {
    const config = parseConfig(
      `providers:
  github: { webhookSecret: "${secret}" }
  gitlab: { webhookToken: "${secret}", signingToken: "whsec_${signingKey.toString('base64')}" }
  generic: { secret: "${secret}" }
clusters: { c: { kubeconfig: /dev/null } }
targets:
  - { name: hello, repo: "github:Codertocat/Hello-World", branch: main, cluster: c, namespace: hello }
  - { name: shop, repo: "gitlab:acme/platform/shop", branch: main, cluster: c, namespace: shop }
server: { port: 0, maxBodyBytes: 65536, maxUnauthenticatedBytes: 131072 }
redis: { url: "${process.env.REDIS_URL}", prefix: "dl-fuzz-${randomBytes(4).toString('hex')}" }
`,
      'fuzz.yaml',
      {},
    );
    web = await startWeb(config, 'fuzz.yaml', createLogger({ level: 'warn', destination: logs }));
    url = `http://127.0.0.1:${(web.server.address() as { port: number }).port}`;
  });
  afterAll(() => web?.close());

  const send = async (d: Delivery, type: string) => {
    const res = await fetch(`${url}${d.path}`, { method: 'POST', headers: { ...d.headers, 'content-type': type }, body: d.body });
    await res.arrayBuffer();
    seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
    return res.status;
  };

  it.each([
    { name: 'GitHub', delivery: githubDelivery, runs: 600 },
    { name: 'GitLab', delivery: gitlabDelivery, runs: 300 },
    { name: 'generic', delivery: genericDelivery, runs: 300 },
  ])('$name: every delivery gets a 2xx or a 4xx, never a 5xx', async ({ delivery, runs }) => {
    await fc.assert(
      fc.asyncProperty(delivery, contentType, async (d, type) => {
        expect([200, 202, 400, 401, 413, 415]).toContain(await send(d, type));
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? runs) },
    );
  }, 600_000);

  it('reached every layer (queued, ignored, malformed, unauthenticated), kept serving, logged no secret and no 500', async () => {
    console.log(`webhook fuzz: answers by status ${JSON.stringify(Object.fromEntries(seen))}`);
    expect([...seen.keys()].sort()).toEqual(expect.arrayContaining([200, 202, 400, 401, 415]));
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    expect(logs.text).not.toContain(secret);
    expect(logs.text).not.toMatch(/"level":(50|60)/);
  });

  it('keeps memory bounded over the run and after another 1,000 deliveries', async () => {
    const before = process.memoryUsage().heapUsed;
    await fc.assert(fc.asyncProperty(fc.oneof(githubDelivery, gitlabDelivery, genericDelivery), async (d) => void (await send(d, 'application/json'))), { numRuns: 1000 });
    // this process holds the server and the test alike; what is left is garbage not yet collected
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(128 * 1024 * 1024);
  }, 120_000);
});
