import { describe, expect, it } from 'vitest';
import { previewContext, statusJob, statusRank, type StatusPhase } from '../../src/report/status.js';

// The lifecycle rank of a commit status is computed here, in TypeScript (statusJob); the rule
// that a lower rank never overwrites a higher one is a Lua script in Redis (StatusRankStore),
// tested against a real Redis in test/integration/status-ranks.test.ts. These tests hold the
// ranks to the order that rule needs.
const input = { target: 'shop', repo: 'acme/shop', sha: 'a'.repeat(40), trigger: { deliveryId: 'd-1' } };
const rankOf = (phase: StatusPhase, progress?: number) => statusJob(input, phase, phase === 'terminal' ? 'success' : 'pending', phase, progress).data.rank;

describe('status ranks', () => {
  it('follow the lifecycle: queued, applying, waiting, terminal', () => {
    const phases: StatusPhase[] = ['queued', 'applying', 'waiting', 'terminal'];
    const ranks = phases.map((p) => rankOf(p));
    expect([...ranks].sort((a, b) => a - b)).toEqual(ranks);
    expect(new Set(ranks).size).toBe(phases.length);
    expect(Object.keys(statusRank)).toEqual(phases);
  });

  it('order progress within a phase, below the next phase however far it got', () => {
    const waiting = [0, 1 / 3, 2 / 3, 0.99, 1, 5].map((p) => rankOf('waiting', p));
    expect(waiting.slice(0, 4)).toEqual([...waiting.slice(0, 4)].sort((a, b) => a - b));
    expect(new Set(waiting.slice(0, 4)).size).toBe(4);
    for (const rank of waiting) {
      expect(rank).toBeGreaterThan(rankOf('applying', 0.99));
      expect(rank).toBeLessThan(rankOf('terminal'));
    }
  });

  it('rank every terminal state alike, so a later terminal status (a retry that succeeds after a failure) may still replace an earlier one', () => {
    const terminal = (['success', 'failure', 'error'] as const).map((state) => statusJob(input, 'terminal', state, state).data.rank);
    expect(new Set(terminal).size).toBe(1);
  });
});

describe('status job ids', () => {
  const id = (over: Partial<typeof input> = {}, phase: StatusPhase = 'queued', progress?: number, context?: string) => statusJob({ ...input, ...over, context }, phase, 'pending', 'x', progress).opts.jobId;

  it('are the same for a redelivered webhook, so its "queued" collapses with the first', () => {
    expect(id()).toBe(id());
  });

  it('differ by delivery, commit, phase, progress step and context', () => {
    const ids = [id(), id({ trigger: { deliveryId: 'd-2' } }), id({ sha: 'b'.repeat(40) }), id({}, 'applying'), id({}, 'waiting', 0.5), id({}, 'waiting', 0.75), id({}, 'queued', 0, previewContext('shop'))];
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('contain no ":" (BullMQ reserves it in job ids)', () => {
    expect(id({}, 'queued', 0, 'driftless/a:b')).not.toContain(':');
  });
});

describe('status descriptions', () => {
  it('fit GitHub\'s 140 characters on one line', () => {
    const { description } = statusJob(input, 'terminal', 'failure', `Deployment/shop/web failed:\n${'x'.repeat(300)}`).data;
    expect(description).toHaveLength(140);
    expect(description).not.toContain('\n');
    expect(description.endsWith('…')).toBe(true);
    expect(description.startsWith('Deployment/shop/web failed: x')).toBe(true);
  });
});
