import { afterEach, expect, it } from 'vitest';
import { listObjects } from '../../src/kube/objects.js';
import { cm } from '../helpers/manifests.js';
import { testKube } from '../helpers/kube.js';
import { recordResult, startChaosTarget, terminalStatuses, type ChaosTarget } from './lib.js';

// The worker process is killed (SIGKILL: no shutdown, no hand-back) mid-apply and mid-wait; a new
// process takes over once BullMQ finds the job stalled and the target lock has expired.

let target: ChaosTarget | undefined;
afterEach(async () => {
  await target?.close();
  target = undefined;
});

const { client, discovery } = testKube();
const configMaps = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`deploy/cm-${i}.yaml`, cm(`cm-${i}`, 'v1')]));

it('a worker killed mid-apply: a new process completes the commit, with one terminal status', async () => {
  target = await startChaosTarget('kill-apply');
  const { h, namespace } = target;
  // the main test Redis runs without persistence: Driftless says so at start-up
  expect(target.logs()).toContain('Redis persistence is off');
  const pushed = await target.push('300 config maps', configMaps(300));
  expect(pushed.status).toBe(202);
  await expect.poll(() => h.statuses(pushed.sha).some((s) => s.description === 'applying'), { timeout: 60_000, interval: 20 }).toBe(true);
  target.driftless.child.kill('SIGKILL');
  await target.driftless.exited;
  const written = (await listObjects(client, (await discovery.resourceFor('v1', 'ConfigMap'))!, namespace, '')).filter((o) => o.metadata.name.startsWith('cm-')).length;
  const restartedAt = Date.now();
  await target.restart();
  await expect.poll(() => terminalStatuses(h, pushed.sha, namespace).map((s) => s.state), { timeout: 150_000, interval: 500 }).toEqual(['success']);
  const convergeMs = Date.now() - restartedAt;
  const objects = (await listObjects(client, (await discovery.resourceFor('v1', 'ConfigMap'))!, namespace, '')).filter((o) => o.metadata.name.startsWith('cm-'));
  expect(objects).toHaveLength(300);
  expect((await h.history(namespace)).filter((e) => e.revision === pushed.sha).map((e) => e.result)).toEqual(['succeeded']);
  recordResult({ case: 'worker-kill-mid-apply', fault: `SIGKILL of driftless while applying 300 objects (${written} written)`, asserted: '300/300 after a new process takes over (stalled job + lock expiry); one terminal status; one history entry', convergeMs });
});

it('a worker killed mid-wait: a new process waits again and reports once', async () => {
  target = await startChaosTarget('kill-wait', { targetYaml: '    wait: { timeout: 120s }' });
  const { h, namespace } = target;
  // a claim with no volume to bind stays Pending: the sync waits; the PV controller binds it once a volume exists
  const storageClass = `chaos-${namespace}`;
  const claim = `apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\nspec:\n  storageClassName: ${storageClass}\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 1Gi\n`;
  const pushed = await target.push('a claim', { 'deploy/claim.yaml': claim });
  await expect.poll(() => h.statuses(pushed.sha).some((s) => s.description?.startsWith('waiting')), { timeout: 60_000, interval: 100 }).toBe(true);
  target.driftless.child.kill('SIGKILL');
  await target.driftless.exited;
  await client.request('POST', '/api/v1/persistentvolumes', {
    body: { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: storageClass }, spec: { storageClassName: storageClass, capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: `/tmp/${storageClass}` }, claimRef: { namespace, name: 'data' } } },
  });
  const restartedAt = Date.now();
  await target.restart();
  await expect.poll(() => terminalStatuses(h, pushed.sha, namespace).map((s) => s.state), { timeout: 150_000, interval: 500 }).toEqual(['success']);
  const convergeMs = Date.now() - restartedAt;
  expect((await h.history(namespace)).filter((e) => e.revision === pushed.sha).map((e) => e.result)).toEqual(['succeeded']);
  await client.request('DELETE', `/api/v1/persistentvolumes/${storageClass}`).catch(() => undefined);
  recordResult({ case: 'worker-kill-mid-wait', fault: 'SIGKILL of driftless while it waits for a PersistentVolumeClaim to bind', asserted: 'a new process runs the sync again, waits, and reports success once', convergeMs });
});
