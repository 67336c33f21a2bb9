import { expect, it } from 'vitest';
import { listObjects } from '../../src/kube/objects.js';
import { cm } from '../helpers/manifests.js';
import { testKube } from '../helpers/kube.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { installWidgetCrd } from '../helpers/widget-crd.js';
import { apiServerAddress, kubeconfigVia, leakedSecrets, peakRssMiB, recordResult, startChaosTarget, terminalStatuses, type ChaosTarget, closedAfterEach } from './lib.js';

// The API server goes away mid-apply and mid-wait, or answers slowly: Driftless reaches it through
// a TCP proxy; the test's own client talks to it directly.

const track = closedAfterEach();

const { client, discovery } = testKube();
const configMaps = (n: number, value: string) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`deploy/cm-${i}.yaml`, cm(`cm-${i}`, value)]));
const live = async (namespace: string) => listObjects(client, (await discovery.resourceFor('v1', 'ConfigMap'))!, namespace, '');

async function start(name: string, targetYaml = ''): Promise<{ target: ChaosTarget; proxy: TcpProxy }> {
  const proxy = track(await TcpProxy.start(apiServerAddress()));
  const target = track(await startChaosTarget(name, { targetYaml, endpoints: { kubeconfig: await kubeconfigVia(proxy.address) } }));
  return { target, proxy };
}

it('the API server resets every connection mid-apply: the retry completes the commit, with one terminal status', async () => {
  const { target, proxy } = await start('api-reset');
  const { h, namespace } = target;
  const pushed = await target.push('200 config maps', configMaps(200, 'v1'));
  expect(pushed.status).toBe(202);
  await expect.poll(() => h.statuses(pushed.sha).some((s) => s.description === 'applying'), { timeout: 60_000, interval: 50 }).toBe(true);
  proxy.setMode({ kind: 'reset' });
  await new Promise((r) => setTimeout(r, 5_000));
  proxy.setMode({ kind: 'pass' });
  const healedAt = Date.now();
  await expect.poll(() => terminalStatuses(h, pushed.sha, namespace).map((s) => s.state), { timeout: 120_000, interval: 250 }).toEqual(['success']);
  const convergeMs = Date.now() - healedAt;
  const objects = (await live(namespace)).filter((o) => o.metadata.name.startsWith('cm-'));
  expect(objects).toHaveLength(200);
  expect(objects.every((o) => (o.data as { value: string }).value === 'v1')).toBe(true);
  const history = await h.history(namespace);
  expect(history.filter((e) => e.revision === pushed.sha).map((e) => e.result)).toEqual(['succeeded']);
  expect(leakedSecrets(target.logs(), [h.githubToken, h.secret])).toEqual([]);
  recordResult({ case: 'apiserver-reset-mid-apply', fault: 'every API connection reset for 5 s while 200 objects are applied', asserted: `200/200 applied with Git's data; one terminal status; one history entry; worker peak RSS ${peakRssMiB(target.driftless.child.pid!)} MiB`, convergeMs });
});

it('the API server is partitioned away mid-wait: the wait resumes and ends healthy', async () => {
  const widget = await installWidgetCrd(client, discovery);
  const { target, proxy } = await start('api-partition', '    wait: { timeout: 90s }');
  const { h, namespace } = target;
  // still reconciling as Git has it: the sync waits
  const reconciling = `${widget.manifest('pool')}status:\n  conditions:\n    - { type: Reconciling, status: "True", reason: Scaling }\n`;
  const pushed = await target.push('a widget', { 'deploy/widget.yaml': reconciling });
  await expect.poll(() => h.statuses(pushed.sha).some((s) => s.description?.startsWith('waiting')), { timeout: 60_000, interval: 100 }).toBe(true);
  proxy.setMode({ kind: 'blackhole' });
  // the test plays the controller, directly: the widget becomes ready while Driftless cannot see it
  await client.request('PATCH', `/apis/${widget.apiVersion}/namespaces/${namespace}/widgets/pool`, { body: { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'Done' }] } }, contentType: 'application/merge-patch+json', query: { fieldManager: 'widget-controller' } });
  await new Promise((r) => setTimeout(r, 5_000));
  proxy.setMode({ kind: 'pass' });
  const healedAt = Date.now();
  await expect.poll(() => terminalStatuses(h, pushed.sha, namespace).map((s) => s.state), { timeout: 120_000, interval: 250 }).toEqual(['success']);
  const convergeMs = Date.now() - healedAt;
  expect((await h.history(namespace)).filter((e) => e.revision === pushed.sha).map((e) => e.result)).toEqual(['succeeded']);
  recordResult({ case: 'apiserver-partition-mid-wait', fault: 'API server blackholed for 5 s during the health wait', asserted: 'the wait resumes; success once healthy; one terminal status', convergeMs });
});

it('every API call takes 2 s longer: the deploy still succeeds', async () => {
  const { target, proxy } = await start('api-slow');
  const { h, namespace } = target;
  proxy.setMode({ kind: 'latency', latencyMs: 2_000 });
  const started = Date.now();
  const pushed = await target.push('slow', configMaps(3, 'slow'));
  await expect.poll(() => terminalStatuses(h, pushed.sha, namespace).map((s) => s.state), { timeout: 200_000, interval: 500 }).toEqual(['success']);
  const convergeMs = Date.now() - started;
  expect((await live(namespace)).filter((o) => o.metadata.name.startsWith('cm-'))).toHaveLength(3);
  expect((await h.history(namespace)).filter((e) => e.revision === pushed.sha).map((e) => e.result)).toEqual(['succeeded']);
  recordResult({ case: 'apiserver-latency', fault: '2 s added to every request to the API server', asserted: 'deploy of 3 objects succeeds, one terminal status, one history entry', convergeMs });
});
