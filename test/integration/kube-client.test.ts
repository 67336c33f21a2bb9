import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeApiError, KubeClient, type SentRequest } from '../../src/kube/client.js';

/** A stand-in API server on loopback: answers each path with the statuses queued for it, then 200. */
const queued = new Map<string, number[]>();
const server = http.createServer((req, res) => {
  const status = queued.get(req.url!.split('?')[0]!)?.shift() ?? 200;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(status === 200 ? { kind: 'ConfigMap', metadata: { name: 'a' } } : { kind: 'Status', reason: status === 503 ? 'ServiceUnavailable' : 'BadRequest', message: `answered ${status}` }));
});
let client: KubeClient;
const sent: SentRequest[] = [];

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const kubeconfig = path.join(await mkdtemp(path.join(os.tmpdir(), 'kube-client-')), 'kubeconfig');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await writeFile(kubeconfig, JSON.stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: 'c', cluster: { server: url, 'insecure-skip-tls-verify': true } }], users: [{ name: 'u', user: { token: 't' } }], contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }], 'current-context': 'c' }));
  client = KubeClient.fromConnection({ kubeconfig });
  client.onRequest((r) => sent.push(r));
});
afterAll(() => {
  client.close();
  server.close();
});

describe('KubeClient retries', () => {
  it('retries a 503 until it succeeds, each attempt a request of its own', async () => {
    queued.set('/api/v1/namespaces/x/configmaps/a', [503, 503]);
    sent.length = 0;
    await expect(client.request('GET', '/api/v1/namespaces/x/configmaps/a', { query: { limit: '1' } })).resolves.toMatchObject({ metadata: { name: 'a' } });
    expect(sent).toEqual(Array.from({ length: 3 }, () => ({ method: 'GET', path: '/api/v1/namespaces/x/configmaps/a', query: { limit: '1' }, accept: 'application/json' })));
  });

  it('gives up after four retries with the last answer', async () => {
    queued.set('/api/v1/namespaces/x/configmaps/b', [503, 503, 503, 503, 503]);
    const err = await client.request('GET', '/api/v1/namespaces/x/configmaps/b').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect(err).toMatchObject({ status: 503, message: 'answered 503' });
    expect(queued.get('/api/v1/namespaces/x/configmaps/b')).toEqual([]);
  });

  it('does not retry what the request itself got wrong', async () => {
    queued.set('/api/v1/namespaces/x/configmaps/c', [400, 503]);
    await expect(client.request('GET', '/api/v1/namespaces/x/configmaps/c')).rejects.toMatchObject({ status: 400, permanent: true });
    expect(queued.get('/api/v1/namespaces/x/configmaps/c')).toEqual([503]);
  });
});
