import { expect, it } from 'vitest';
import { getObject } from '../../src/kube/objects.js';
import { cm } from '../helpers/manifests.js';
import { testKube } from '../helpers/kube.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { recordResult, startChaosTarget, terminalStatuses, type ChaosTarget, closedAfterEach } from './lib.js';

// The git host goes down or slows down: Driftless clones through a TCP proxy in front of the
// real git server (smart HTTP).

const track = closedAfterEach();

const { client, discovery } = testKube();
const value = async (namespace: string) => ((await getObject(client, (await discovery.resourceFor('v1', 'ConfigMap'))!, namespace, 'app'))?.data as { value?: string } | undefined)?.value;

it('the git host refuses connections for 6 s: the sync is retried with backoff and deploys once it is back', async () => {
  const { target: t, proxy } = await startWithProxy('git-down');
  const { h, namespace } = t;
  proxy.setMode({ kind: 'reset' });
  const pushed = await t.push('one', { 'deploy/app.yaml': cm('app', '1') });
  expect(pushed.status).toBe(202);
  await new Promise((r) => setTimeout(r, 6_000));
  expect(terminalStatuses(h, pushed.sha, namespace)).toEqual([]);
  proxy.setMode({ kind: 'pass' });
  const healedAt = Date.now();
  await expect.poll(() => terminalStatuses(h, pushed.sha, namespace).map((s) => s.state), { timeout: 90_000, interval: 250 }).toEqual(['success']);
  const convergeMs = Date.now() - healedAt;
  expect(await value(namespace)).toBe('1');
  expect((await h.history(namespace)).filter((e) => e.revision === pushed.sha).map((e) => e.result)).toEqual(['succeeded']);
  recordResult({ case: 'git-host-down', fault: 'git host resets every connection for 6 s around a push', asserted: 'no terminal status while down (transient, retried); deployed once after', convergeMs });
});

it('the git host answers slowly (1.5 s per round trip): the fetch completes and the commit deploys', async () => {
  const { target: t, proxy } = await startWithProxy('git-slow');
  const { h, namespace } = t;
  proxy.setMode({ kind: 'latency', latencyMs: 1_500 });
  const started = Date.now();
  const pushed = await t.push('one', { 'deploy/app.yaml': cm('app', 'slow') });
  await expect.poll(() => terminalStatuses(h, pushed.sha, namespace).map((s) => s.state), { timeout: 120_000, interval: 250 }).toEqual(['success']);
  const convergeMs = Date.now() - started;
  expect(await value(namespace)).toBe('slow');
  recordResult({ case: 'git-host-slow', fault: '1.5 s added to every request to the git host', asserted: 'fetch completes; one terminal status', convergeMs });
});

/** A chaos target whose clone URL goes through a TCP proxy in front of its git server. */
async function startWithProxy(name: string): Promise<{ target: ChaosTarget; proxy: TcpProxy }> {
  const proxy = track(await TcpProxy.start({ host: '127.0.0.1', port: 0 }));
  const target = track(
    await startChaosTarget(name, {
      endpoints: {
        cloneUrl: (url) => {
          const u = new URL(url);
          proxy.upstream = { host: u.hostname, port: Number(u.port) };
          u.port = String(proxy.port);
          return u.toString();
        },
      },
    }),
  );
  return { target, proxy };
}
