import { createHmac } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getObject } from '../../src/kube/objects.js';
import { keys } from '../../src/store/keys.js';
import { RevisionStore } from '../../src/store/revisions.js';
import { DriftlessHarness } from '../helpers/driftless.js';
import { createNamespace, testKube, uniqueName } from '../helpers/kube.js';
import { Receiver } from '../helpers/receiver.js';
import { installWidgetCrd } from '../helpers/widget-crd.js';

const { client, discovery } = testKube();
const cm = (value: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  value: "${value}"\n`;

describe('automatic rollback after a failed health check', () => {
  let h: DriftlessHarness;
  let namespace: string;
  let widget: Awaited<ReturnType<typeof installWidgetCrd>>;
  let receiver: Receiver;
  const notifySecret = 'notify-secret-for-tests';
  beforeAll(async () => {
    namespace = uniqueName('rb');
    await createNamespace(client, namespace);
    widget = await installWidgetCrd(client, discovery);
    receiver = await Receiver.start();
    h = await DriftlessHarness.start({
      namespace,
      targetYaml: '    wait: { timeout: 20s }\n    rollback: onFailure',
      extraYaml: `notifications:\n  - { type: webhook, url: "${receiver.url('/hook')}", secret: "${notifySecret}" }\n  - { type: slack, url: "${receiver.url('/slack')}", events: [rolled_back] }`,
    });
  });
  afterAll(async () => {
    await h?.close();
    await receiver?.close();
    client.close();
  });

  const terminal = (sha: string) => () => h.statuses(sha).find((s) => s.state !== 'pending');
  const settings = async () => ((await getObject(client, (await discovery.resourceFor('v1', 'ConfigMap'))!, namespace, 'settings'))?.data as { value?: string } | undefined)?.value;

  it('re-deploys the last healthy revision, says so on the failed commit, and a later push deploys normally', async () => {
    const good = await h.commitAndPush('healthy', { 'deploy/settings.yaml': cm('1'), 'deploy/widget.yaml': widget.manifest('pool', 'Ready') });
    await expect.poll(() => terminal(good.sha)()?.state, { timeout: 30_000 }).toBe('success');

    const bad = await h.commitAndPush('degrades', { 'deploy/settings.yaml': cm('2'), 'deploy/widget.yaml': widget.manifest('pool', 'Stalled') });
    await expect.poll(() => terminal(bad.sha)()?.state, { timeout: 30_000 }).toBe('failure');
    const status = terminal(bad.sha)()!;
    expect(status.description).toMatch(new RegExp(`^rolled back to ${good.sha.slice(0, 7)}: wait failed for 1 object: - Widget/${namespace}/pool \\(deploy/widget.yaml\\): Degraded`));
    expect(await settings()).toBe('1');
    const info = (await discovery.resourceFor(widget.apiVersion, 'Widget'))!;
    const pool = await getObject(client, info, namespace, 'pool');
    expect((pool?.status as { conditions: { type: string }[] }).conditions[0]?.type).toBe('Ready');

    // the report kept for the failed commit (a later sync repeats it if it never went out) says how the rollback went
    const redis = new Redis(h.config.redis.url);
    const kept = await new RevisionStore(redis, keys(h.config.redis.prefix)).terminalReports(namespace, [bad.sha]).finally(() => redis.quit());
    expect(kept.get(bad.sha)?.outcome).toMatchObject({ result: 'failed', rollback: { rolledBackTo: good.sha } });

    const history = await h.history(namespace);
    // newest first: the rollback ran after the failure was recorded
    expect(history.slice(0, 2).map((e) => [e.revision, e.result, e.trigger.kind])).toEqual([
      [good.sha, 'succeeded', 'rollback'],
      [bad.sha, 'failed', 'push'],
    ]);

    // notifications arrive signed, and the ApplySet parent carries a Kubernetes event
    await expect.poll(() => receiver.requests.length, { timeout: 10_000 }).toBe(2);
    const hook = receiver.requests.find((r) => r.path === '/hook')!;
    expect(hook.headers['x-driftless-signature-256']).toBe(`sha256=${createHmac('sha256', notifySecret).update(hook.body).digest('hex')}`);
    expect(JSON.parse(hook.body)).toMatchObject({ event: 'rolled_back', target: namespace, revision: bad.sha, rolledBackTo: good.sha });
    const slack = JSON.parse(receiver.requests.find((r) => r.path === '/slack')!.body) as { text: string };
    expect(slack.text).toContain(`Deploy failed and was rolled back*: \`${namespace}\` at \`${bad.sha.slice(0, 7)}\``);
    const events = await client.request<{ items: { reason: string; involvedObject: { name: string } }[] }>('GET', `/api/v1/namespaces/${namespace}/events`);
    expect(events.items.filter((e) => e.involvedObject.name === `driftless-${namespace}`).map((e) => e.reason)).toEqual(expect.arrayContaining(['SyncSucceeded', 'RolledBack']));

    const fixed = await h.commitAndPush('fixed', { 'deploy/settings.yaml': cm('3'), 'deploy/widget.yaml': widget.manifest('pool', 'Ready') });
    await expect.poll(() => terminal(fixed.sha)()?.state, { timeout: 30_000 }).toBe('success');
    expect(await settings()).toBe('3');
  });
});
