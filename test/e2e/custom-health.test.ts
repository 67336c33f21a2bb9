import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getObject } from '../../src/kube/objects.js';
import { DriftlessHarness } from '../helpers/driftless.js';
import { createNamespace, testKube, uniqueName } from '../helpers/kube.js';
import { installWidgetCrd } from '../helpers/widget-crd.js';

// A target with a CEL check for a custom resource that has no conditions (so without the check
// it would be healthy once applied). The test plays the Widget controller by writing /status.
const { client, discovery } = testKube();

describe('custom health checks in CEL, end to end', () => {
  let h: DriftlessHarness;
  let namespace: string;
  let widget: Awaited<ReturnType<typeof installWidgetCrd>>;
  beforeAll(async () => {
    namespace = uniqueName('cel');
    await createNamespace(client, namespace);
    widget = await installWidgetCrd(client, discovery, { statusSubresource: true });
    h = await DriftlessHarness.start({
      namespace,
      targetYaml: [
        '    wait: { timeout: 2m }',
        '    rollback: never',
        '    health:',
        '      checks:',
        `        - apiVersion: ${widget.apiVersion}`,
        '          kind: Widget',
        `          inProgress: "status.?phase.orValue('') == 'Provisioning'"`,
        `          failed: "status.?phase.orValue('') == 'Failed'"`,
        `          current: "status.?phase.orValue('') == 'Ready' && status.?replicas.orValue(0) == spec.size"`,
      ].join('\n'),
    });
  });
  afterAll(async () => {
    await h?.close();
    client.close();
  });

  const widgetYaml = (name: string, size: number, annotations = '') => `apiVersion: ${widget.apiVersion}\nkind: Widget\nmetadata:\n  name: ${name}\n${annotations}spec:\n  size: ${size}\n`;
  const terminal = (sha: string) => h.statuses(sha).find((s) => s.state !== 'pending');
  const path = (name: string) => `/apis/${widget.apiVersion}/namespaces/${namespace}/widgets/${name}`;
  const writeStatus = (name: string, status: Record<string, unknown>) =>
    client.request('PATCH', `${path(name)}/status`, { body: { status }, contentType: 'application/merge-patch+json' });
  const exists = async (name: string) => (await getObject(client, (await discovery.resourceFor(widget.apiVersion, 'Widget'))!, namespace, name)) !== undefined;
  /** Holds for `ms` that the commit has no final status: the deploy is still waiting. */
  const stillWaiting = async (sha: string, ms: number) => {
    for (const until = Date.now() + ms; Date.now() < until; await new Promise((r) => setTimeout(r, 250))) expect(terminal(sha)).toBeUndefined();
  };

  it('waits while the expressions say in progress or not yet current, and succeeds once current is true', async () => {
    const push = await h.commitAndPush('widget', { 'deploy/widget.yaml': widgetYaml('pool', 2) });
    await expect.poll(() => exists('pool'), { timeout: 30_000 }).toBe(true);

    await writeStatus('pool', { phase: 'Provisioning' });
    await stillWaiting(push.sha, 3_000);
    // Ready, but not at the size Git asks for: `current` is still false
    await writeStatus('pool', { phase: 'Ready', replicas: 1 });
    await stillWaiting(push.sha, 3_000);

    await writeStatus('pool', { phase: 'Ready', replicas: 2 });
    await expect.poll(() => terminal(push.sha)?.state, { timeout: 60_000 }).toBe('success');
  });

  it('fails the deploy at once when `failed` is true, naming the object, its file and the check', async () => {
    const push = await h.commitAndPush('grow the widget', { 'deploy/widget.yaml': widgetYaml('pool', 3) });
    await expect.poll(async () => ((await getObject(client, (await discovery.resourceFor(widget.apiVersion, 'Widget'))!, namespace, 'pool'))?.spec as { size?: number } | undefined)?.size, { timeout: 30_000 }).toBe(3);
    await stillWaiting(push.sha, 2_000);

    const failedAt = Date.now();
    await writeStatus('pool', { phase: 'Failed', message: 'no capacity left in the pool' });
    await expect.poll(() => terminal(push.sha)?.state, { timeout: 60_000 }).toBe('failure');
    // well before the 2-minute wait timeout
    expect(Date.now() - failedAt).toBeLessThan(60_000);
    // the commit status is capped at 140 characters; history keeps the whole message
    expect(terminal(push.sha)?.description).toContain(`Widget/${namespace}/pool (deploy/widget.yaml): Degraded: failed (check`);
    const [latest] = await h.history(namespace);
    expect(latest).toMatchObject({ revision: push.sha, result: 'failed' });
    expect(latest?.message).toContain(`Widget/${namespace}/pool (deploy/widget.yaml): Degraded: failed (check ${widget.apiVersion.split('/')[0]}/Widget): no capacity left in the pool`);
  });

  it('fails the deploy naming the object when its own health-check annotation does not compile', async () => {
    const annotation = '  annotations:\n    driftless.io/health-check-current: "status.phase =="\n';
    const push = await h.commitAndPush('odd widget', { 'deploy/widget.yaml': null, 'deploy/odd.yaml': widgetYaml('odd', 1, annotation) });
    await expect.poll(() => terminal(push.sha)?.state, { timeout: 60_000 }).toBe('failure');
    expect(terminal(push.sha)?.description).toContain(`Widget/${namespace}/odd (deploy/odd.yaml): Degraded: current (annotation driftless.io/health-check-current)`);
    const [latest] = await h.history(namespace);
    expect(latest?.message).toMatch(new RegExp(`Widget/${namespace}/odd \\(deploy/odd\\.yaml\\): Degraded: current \\(annotation driftless\\.io/health-check-current\\) does not compile: `));
  });
});
