import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { PullHold } from '../../src/model/pull.js';
import type { RevisionState } from '../../src/model/revision.js';
import { ApiTokens } from '../../src/server/auth/tokens.js';
import { fleetRows, targetDetail, type DashboardData, type LiveStage } from '../../src/server/target-view.js';
import type { HistoryEntry } from '../../src/store/history.js';
import { badgeSvg } from '../../src/ui/badge.js';
import { page } from '../../src/ui/html.js';
import { links } from '../../src/ui/links.js';
import { timeline } from '../../src/ui/pages.js';

const config = parseConfig(
  `providers: { github: { webhookSecret: s }, gitlab: { webhookToken: t, url: "https://git.example.com/" } }\nclusters: { c: { kubeconfig: /dev/null } }\n` +
    `targets: [{ name: shop, repo: "github:acme/shop", cluster: c, namespace: shop }, { name: api, repo: "gitlab:acme/platform/api", cluster: c, namespace: api }, { name: num, repo: "gitlab:42", cluster: c, namespace: num }]\n`,
  'x.yaml',
  {},
);
const [shop] = config.targets;

const entry = (result: HistoryEntry['result'], revision: string, at: number, extra: Partial<HistoryEntry> = {}): HistoryEntry => ({
  target: 'shop',
  revision,
  result,
  trigger: { kind: 'push', deliveryId: 'd', actor: 'octocat' },
  timings: {},
  startedAt: at - 10,
  finishedAt: at,
  ...extra,
});

/** The stores as plain objects holding one target's state: the shapes the dashboard reads, nothing more. */
function data(input: { state?: RevisionState; pending?: string[]; lock?: PullHold; history?: HistoryEntry[]; live?: LiveStage }): DashboardData {
  return {
    config,
    revisions: { state: async () => input.state ?? {}, pending: async () => (input.pending ?? []).map((sha) => ({ sha, receivedAt: 0, trigger: { kind: 'push', deliveryId: 'd', actor: 'a' } })) },
    holds: { holder: async () => input.lock },
    history: { list: async (_t, limit = 20) => (input.history ?? []).slice(0, limit) },
    actions: { list: async () => [] },
    previews: { forTarget: async () => [] },
    live: () => input.live,
  };
}

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

describe('sync state and health of a target', () => {
  it.each([
    { name: 'no sync yet', input: {}, sync: 'never deployed', health: 'Unknown' },
    { name: 'the last attempt ended healthy', input: { state: { deployed: A, lastApplied: A, lastAttempt: { revision: A, result: 'succeeded', at: 1 } }, history: [entry('succeeded', A, 1)] }, sync: 'in sync', health: 'Healthy' },
    { name: 'the last reconcile found drift and only warned', input: { state: { deployed: A, lastApplied: A, lastAttempt: { revision: A, result: 'succeeded', at: 1 } }, history: [entry('drifted', A, 2), entry('succeeded', A, 1)] }, sync: 'drifted', health: 'Healthy' },
    { name: 'a revision waits for a sync', input: { state: {}, pending: [B] }, sync: 'deploying', health: 'Progressing' },
    { name: 'a revision waits behind a lock', input: { pending: [B], lock: { provider: 'github', repo: 'acme/shop', pr: 3, user: 'u', at: '' } }, sync: 'never deployed', health: 'Unknown' },
    { name: 'a sync runs', input: { live: { target: 'shop', sha: B, state: 'pending', description: 'applying', at: 1 } }, sync: 'deploying', health: 'Progressing' },
    { name: 'the wait for health failed', input: { state: { deployed: B, lastApplied: A, lastAttempt: { revision: B, result: 'failed', stage: 'wait', at: 2 } } }, sync: 'failed', health: 'Degraded' },
    { name: 'a render failed: what ran before, healthy, still runs', input: { state: { deployed: A, lastApplied: A, lastAttempt: { revision: B, result: 'failed', stage: 'render', at: 2 } } }, sync: 'failed', health: 'Healthy' },
    { name: 'an automatic rollback holds it', input: { state: { deployed: A, lastApplied: A, lastAttempt: { revision: B, result: 'failed', stage: 'wait', at: 2 }, held: { from: B, at: A, since: 3 } } }, sync: 'held', health: 'Healthy' },
  ] as const)('$name: $sync, $health', async ({ input, sync, health }) => {
    const [row] = await fleetRows(data(input as Parameters<typeof data>[0]), [shop!]);
    expect({ sync: row!.sync, health: row!.health }).toEqual({ sync, health });
  });

  it('offers the healthy revisions other than what runs as rollback targets, and shows drift newer than the last change', async () => {
    const C = 'c'.repeat(40);
    const history = [entry('drifted', C, 5), entry('succeeded', C, 4), entry('failed', B, 3), entry('succeeded', A, 2), entry('succeeded', A, 1)];
    const d = await targetDetail(data({ state: { deployed: C, lastApplied: C, lastAttempt: { revision: C, result: 'succeeded', at: 4 } }, history }), shop!);
    expect(d.rollbackTargets).toEqual([A]);
    expect(d.drift?.finishedAt).toBe(5);
    const healed = await targetDetail(data({ history: [entry('healed', C, 6), ...history] }), shop!);
    expect(healed.drift).toBeUndefined();
  });

  it('shows the diff of a sync in the timeline, from the changes history keeps', async () => {
    const diff = '--- live/ConfigMap/shop/a\n+++ git/ConfigMap/shop/a\n-  value: "1"\n+  value: "2"';
    const history = [entry('succeeded', A, 1, { changes: [{ subject: 'ConfigMap/shop/a', action: 'configured', file: 'deploy/a.yaml', diff }] })];
    const d = await targetDetail(data({ history }), shop!);
    const rendered = page({ title: 't', children: timeline(d, shop!, links(config)) });
    expect(rendered).toContain('<summary class="muted">diff</summary>');
    expect(rendered).toContain('<code>ConfigMap/shop/a</code> configured');
    expect(rendered).toContain('+  value: &quot;2&quot;');
  });
});

describe('API tokens', () => {
  const sha = (t: string) => createHash('sha256').update(t).digest('hex');
  it('finds a token by its hash, and server.apiToken as the read-only token it always was', () => {
    const tokens = new ApiTokens([{ name: 'ci', sha256: sha('secret-one'), permission: 'write' }], 'legacy-token-0123');
    expect(tokens.verify('secret-one')).toEqual({ name: 'ci', sha256: sha('secret-one'), permission: 'write' });
    expect(tokens.verify('legacy-token-0123')).toMatchObject({ name: 'apiToken', permission: 'read' });
    expect(tokens.verify('secret-onE')).toBeUndefined();
    expect(tokens.verify('')).toBeUndefined();
    expect(new ApiTokens().any).toBe(false);
  });
});

describe('links and badges', () => {
  it('links commits and pull requests on each host; a GitLab project named by id has none', () => {
    const l = links(config);
    expect(l.commit(config.targets[0]!, A)).toBe(`https://github.com/acme/shop/commit/${A}`);
    expect(l.pull(config.targets[0]!, 7)).toBe('https://github.com/acme/shop/pull/7');
    expect(l.commit(config.targets[1]!, A)).toBe(`https://git.example.com/acme/platform/api/-/commit/${A}`);
    expect(l.pull(config.targets[1]!, 7)).toBe('https://git.example.com/acme/platform/api/-/merge_requests/7');
    expect(l.commit(config.targets[2]!, A)).toBeUndefined();
  });

  it.each([
    ['in sync', 'Healthy', 'shop: in sync · Healthy', '#4c1'],
    ['drifted', 'Healthy', 'shop: drifted · Healthy', '#dfb317'],
    ['failed', 'Degraded', 'shop: failed', '#e05d44'],
    ['deploying', 'Progressing', 'shop: deploying', '#007ec6'],
  ] as const)('%s, %s: "%s" in %s', (sync, health, label, colour) => {
    const svg = badgeSvg('shop', sync, health);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="\d+" height="20"/);
    expect(svg).toContain(`aria-label="${label}"`);
    expect(svg).toContain(`fill="${colour}"`);
  });
});
