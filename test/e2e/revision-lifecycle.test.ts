import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { getObject } from '../../src/kube/objects.js';
import { createLogger } from '../../src/log.js';
import { createQueues } from '../../src/queue/queues.js';
import { keys } from '../../src/store/keys.js';
import type { TargetStatus } from '../../src/store/target-status.js';
import { DriftlessHarness, pushPayload } from '../helpers/driftless.js';
import { testKube } from '../helpers/kube.js';
import { installWidgetCrd } from '../helpers/widget-crd.js';

// The revision lifecycle of issue 11, end to end on the real API server: branch truth (rewind,
// replay, unknown shas), failures that stay failed, the hold after a rollback, heal through the
// health wait, and a sync that stops when it loses its target lock.

const { client, discovery } = testKube();
const cm = (value: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  value: "${value}"\n`;
const short = (sha: string) => sha.slice(0, 7);

let h: DriftlessHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});
afterAll(() => client.close());

async function start(name: string, targetYaml: string): Promise<{ h: DriftlessHarness; namespace: string }> {
  const started = await DriftlessHarness.startInNewNamespace(name, { targetYaml });
  h = started.h;
  return started;
}

const settings = async (namespace: string) => ((await getObject(client, (await discovery.resourceFor('v1', 'ConfigMap'))!, namespace, 'settings'))?.data as { value?: string } | undefined)?.value;
const terminal = (harness: DriftlessHarness, sha: string) => harness.statuses(sha).filter((s) => s.state !== 'pending');
type Pushed = Awaited<ReturnType<DriftlessHarness['commitAndPush']>>;
/** Commits and pushes two settings values, the second once the first is deployed; both deployed. */
async function deployInTurn(harness: DriftlessHarness, first: string, second: string): Promise<[Pushed, Pushed]> {
  const deploy = async (v: string) => {
    const p = await harness.commitAndPush(v, { 'deploy/settings.yaml': cm(v) });
    await expect.poll(() => terminal(harness, p.sha)[0]?.state, { timeout: 30_000 }).toBe('success');
    return p;
  };
  const a = await deploy(first);
  return [a, await deploy(second)];
}
const targetStatus = async (harness: DriftlessHarness): Promise<TargetStatus> => (await harness.api<{ targets: TargetStatus[] }>('/api/targets')).targets[0]!;

describe('failures that stay failed', () => {
  it('a rolled-back commit is not deployed again by the schedule; the target is held at the rolled-back revision, and heals toward it', async () => {
    const widget = await installWidgetCrd(client, discovery);
    const { h, namespace } = await start('hold', '    wait: { timeout: 20s }\n    rollback: onFailure\n    reconcile: { interval: 1s, drift: heal }');
    const good = await h.commitAndPush('healthy', { 'deploy/settings.yaml': cm('1'), 'deploy/widget.yaml': widget.manifest('pool', 'Ready') });
    await expect.poll(() => terminal(h, good.sha)[0]?.state, { timeout: 30_000 }).toBe('success');
    const bad = await h.commitAndPush('degrades', { 'deploy/settings.yaml': cm('2'), 'deploy/widget.yaml': widget.manifest('pool', 'Stalled') });
    await expect.poll(() => terminal(h, bad.sha)[0]?.state, { timeout: 30_000 }).toBe('failure');

    // many reconcile intervals later: one attempt of the bad commit, one rollback, nothing more
    await sleep(6_000);
    const history = await h.history(namespace);
    expect(history.filter((e) => e.revision === bad.sha).map((e) => e.result)).toEqual(['failed']);
    expect(history.filter((e) => e.trigger.kind === 'rollback').map((e) => [e.revision, e.result])).toEqual([[good.sha, 'succeeded']]);
    expect(terminal(h, bad.sha)).toHaveLength(1);
    expect(await settings(namespace)).toBe('1');
    const status = await targetStatus(h);
    expect(status).toMatchObject({ condition: 'held', held: { from: bad.sha, at: good.sha }, lastAppliedRevision: good.sha, lastAttempt: { revision: bad.sha, result: 'failed', stage: 'wait', permanent: true } });

    // a hand edit that breaks what the target is held at is healed through the health wait
    const info = (await discovery.resourceFor(widget.apiVersion, 'Widget'))!;
    await client.request('PATCH', `/apis/${widget.apiVersion}/namespaces/${namespace}/widgets/pool`, {
      body: { status: { conditions: [{ type: 'Stalled', status: 'True', reason: 'ByHand', message: 'edited by hand' }] } },
      contentType: 'application/merge-patch+json',
      query: { fieldManager: 'kubectl-edit' },
    });
    await expect.poll(async () => (await h.history(namespace)).find((e) => e.result === 'healed'), { timeout: 20_000 }).toBeTruthy();
    const healed = (await h.history(namespace)).find((e) => e.result === 'healed')!;
    expect(healed.revision).toBe(good.sha);
    expect(healed.message).toContain(`Widget/${namespace}/pool (changed)`);
    expect(healed.timings.wait).toBeGreaterThanOrEqual(0);
    const pool = await getObject(client, info, namespace, 'pool');
    expect((pool?.status as { conditions: { type: string }[] }).conditions[0]?.type).toBe('Ready');

    // a newer commit ends the hold
    const fixed = await h.commitAndPush('fixed', { 'deploy/settings.yaml': cm('3'), 'deploy/widget.yaml': widget.manifest('pool', 'Ready') });
    await expect.poll(() => terminal(h, fixed.sha)[0]?.state, { timeout: 30_000 }).toBe('success');
    expect(await settings(namespace)).toBe('3');
    expect(await targetStatus(h)).toMatchObject({ condition: 'applied', lastAppliedRevision: fixed.sha });
    expect((await targetStatus(h)).held).toBeUndefined();
  });

  it('a commit that fails validation is attempted once; drift of the last applied revision is still healed', async () => {
    const { h, namespace } = await start('invalid', '    reconcile: { interval: 1s, drift: heal }');
    const good = await h.commitAndPush('good', { 'deploy/settings.yaml': cm('1') });
    await expect.poll(() => terminal(h, good.sha)[0]?.state, { timeout: 30_000 }).toBe('success');
    const service = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n    - port: 99999\n';
    const bad = await h.commitAndPush('invalid port', { 'deploy/settings.yaml': cm('2'), 'deploy/service.yaml': service });
    await expect.poll(() => terminal(h, bad.sha)[0]?.state, { timeout: 30_000 }).toBe('failure');
    expect(terminal(h, bad.sha)[0]?.description).toContain(`Service/${namespace}/web (deploy/service.yaml)`);

    await client.request('DELETE', `/api/v1/namespaces/${namespace}/configmaps/settings`);
    await expect.poll(() => settings(namespace), { timeout: 20_000 }).toBe('1');
    await sleep(4_000);
    const history = await h.history(namespace);
    expect(history.filter((e) => e.revision === bad.sha).map((e) => [e.result, e.stage])).toEqual([['failed', 'plan']]);
    expect(history.find((e) => e.result === 'healed')).toMatchObject({ revision: good.sha, message: `healed: ConfigMap/${namespace}/settings (missing)` });
    expect(terminal(h, bad.sha)).toHaveLength(1);
    expect(await targetStatus(h)).toMatchObject({ condition: 'failed', lastAppliedRevision: good.sha, lastAttempt: { revision: bad.sha, result: 'failed', permanent: true } });
  });
});

describe('branch truth', () => {
  it('a rewound branch (reset and force push) deploys its rewound head', async () => {
    const { h, namespace } = await start('rewind', '');
    const [a, b] = await deployInTurn(h, 'blue', 'red');

    await h.repo.git(['reset', '--hard', a.sha]);
    // what GitHub sends for `git push --force` to an older commit: forced, no commits listed
    const forced = { ...JSON.parse(pushPayload({ repo: h.repoName, cloneUrl: 'https://example.invalid/x.git', before: b.sha, after: a.sha })), forced: true, commits: [], head_commit: null };
    expect((await h.push(JSON.stringify(forced))).status).toBe(202);
    await expect.poll(() => settings(namespace), { timeout: 30_000 }).toBe('blue');
    const history = await h.history(namespace);
    expect(history[0]).toMatchObject({ revision: a.sha, result: 'succeeded', trigger: { kind: 'push' } });
  });

  it('a rewind without a webhook is deployed by the schedule', async () => {
    const { h, namespace } = await start('rewind-sched', '    reconcile: { interval: 1s, drift: heal }');
    const a = await h.commitAndPush('blue', { 'deploy/settings.yaml': cm('blue') });
    await expect.poll(() => terminal(h, a.sha)[0]?.state, { timeout: 30_000 }).toBe('success');
    const b = await h.commitAndPush('red', { 'deploy/settings.yaml': cm('red') });
    await expect.poll(() => settings(namespace), { timeout: 30_000 }).toBe('red');
    await expect.poll(() => terminal(h, b.sha)[0]?.state, { timeout: 30_000 }).toBe('success');
    await h.repo.git(['reset', '--hard', a.sha]);
    await expect.poll(() => settings(namespace), { timeout: 30_000 }).toBe('blue');
  });

  it('a replayed old delivery under a new delivery id changes nothing', async () => {
    const { h, namespace } = await start('replay', '');
    const [a, b] = await deployInTurn(h, '1', '2');
    const before = await h.history(namespace);

    const statusesOfA = h.statuses(a.sha).length;

    // GitHub's signature covers only the body: the old body with a fresh delivery id verifies
    expect((await h.push(a.body, { deliveryId: randomUUID() })).status).toBe(202);
    await expect.poll(async () => (await targetStatus(h)).pending, { timeout: 15_000 }).toEqual([]);
    // nothing moved, and the old commit keeps its one terminal status
    expect(await h.history(namespace)).toEqual(before);
    expect(await settings(namespace)).toBe('2');
    expect(await targetStatus(h)).toMatchObject({ condition: 'applied', lastAppliedRevision: b.sha });
    expect(h.statuses(a.sha)).toHaveLength(statusesOfA);
  });

  it('a sha the repository does not have fails alone: the next commit deploys', async () => {
    const { h, namespace } = await start('poison', '');
    const a = await h.commitAndPush('blue', { 'deploy/settings.yaml': cm('blue') });
    await expect.poll(() => terminal(h, a.sha)[0]?.state, { timeout: 30_000 }).toBe('success');
    const generic = async (sha: string) => {
      const body = JSON.stringify({ repo: `github:${h.repoName}`, ref: 'refs/heads/main', sha });
      const signature = `sha256=${createHmac('sha256', h.secret).update(body).digest('hex')}`;
      const res = await fetch(`${h.url}/webhooks/generic`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-signature-256': signature, 'x-delivery-id': randomUUID() }, body });
      return res.status;
    };
    const unknown = randomBytes(20).toString('hex');
    expect(await generic(unknown)).toBe(202);
    await expect.poll(() => terminal(h, unknown)[0]?.description, { timeout: 15_000 }).toBe(`superseded by ${short(a.sha)}`);

    const b = await h.repo.commit('red', { 'deploy/settings.yaml': cm('red') });
    expect(await generic(b)).toBe(202);
    await expect.poll(async () => (await targetStatus(h)).lastAppliedRevision, { timeout: 30_000 }).toBe(b);
    expect(await settings(namespace)).toBe('red');
    expect(await targetStatus(h)).toMatchObject({ condition: 'applied', pending: [] });
    expect((await h.history(namespace)).find((e) => e.revision === unknown)).toMatchObject({ result: 'superseded' });
  });

  it('a named revision that cannot be fetched fails alone, naming the commit and the repository', async () => {
    const { h, namespace } = await start('named', '');
    const a = await h.commitAndPush('blue', { 'deploy/settings.yaml': cm('blue') });
    await expect.poll(() => terminal(h, a.sha)[0]?.state, { timeout: 30_000 }).toBe('success');
    const redis = new Redis(h.config.redis.url);
    try {
      const queues = createQueues(redis, h.config.redis.prefix, createLogger({ level: 'silent' }));
      const unknown = randomBytes(20).toString('hex');
      await queues.sync.add('sync', { target: namespace, revision: unknown, trigger: { kind: 'api', deliveryId: 'named-1', actor: 'ops' } });
      await expect.poll(() => terminal(h, unknown)[0]?.state, { timeout: 15_000 }).toBe('failure');
      expect(terminal(h, unknown)[0]?.description).toMatch(new RegExp(`fetch failed: fetching ${short(unknown)} from http://.*${h.repoName.split('/')[1]}`));
      await queues.close();
    } finally {
      await redis.quit();
    }
    const b = await h.commitAndPush('red', { 'deploy/settings.yaml': cm('red') });
    await expect.poll(() => terminal(h, b.sha)[0]?.state, { timeout: 30_000 }).toBe('success');
    expect(await settings(namespace)).toBe('red');
  });
});

describe('the target lock', () => {
  it('a sync that loses its target lock stops and hands the job back without recording an outcome', async () => {
    const widget = await installWidgetCrd(client, discovery);
    const { h, namespace } = await start('steal', '    wait: { timeout: 60s }');
    // a Widget that keeps reconciling never becomes healthy: the sync waits
    const reconciling = `${widget.manifest('pool')}status:\n  conditions:\n    - { type: Reconciling, status: "True", reason: Scaling }\n`;
    const pending = await h.commitAndPush('waits', { 'deploy/widget.yaml': reconciling });
    await expect.poll(() => h.statuses(pending.sha).find((s) => s.description?.startsWith('waiting'))?.state, { timeout: 30_000 }).toBe('pending');
    const redis = new Redis(h.config.redis.url);
    try {
      const lockKey = keys(h.config.redis.prefix).lock(namespace);
      // another worker takes the lock over, as after a long pause or a failover
      await redis.set(lockKey, 'another-worker', 'PX', 60_000);
      await expect.poll(() => h.logs.text.includes('sync aborted: job handed back to the queue'), { timeout: 20_000, interval: 500 }).toBe(true);
      expect(h.logs.lines.find((l) => l.includes('sync aborted'))).toContain('was taken over');
      // the aborted run recorded nothing and left the other holder's lock alone
      expect((await h.history(namespace)).filter((e) => e.revision === pending.sha)).toEqual([]);
      expect(await redis.get(lockKey)).toBe('another-worker');
      expect(terminal(h, pending.sha)).toEqual([]);
      await redis.del(lockKey);
    } finally {
      await redis.quit();
    }
  });
});
