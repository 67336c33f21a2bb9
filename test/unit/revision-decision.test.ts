import { describe, expect, it } from 'vitest';
import type { PendingRevision, RevisionFailure, RevisionState } from '../../src/model/revision.js';
import { decideRevision, type RevisionDecisionInput } from '../../src/sync/revision-decision.js';

// Commits are named by letters padded to look like shas; `short` is what messages show.
const sha = (c: string) => c.repeat(40);
const short = (c: string) => c.repeat(7);
const pending = (c: string, receivedAt = 1): PendingRevision => ({ sha: sha(c), receivedAt, trigger: { kind: 'push', deliveryId: `d-${c}`, actor: 'dev' } });
const failed: RevisionFailure = { stage: 'wait', reason: 'Deployment/shop/web: ProgressDeadlineExceeded', at: 1 };
const applied = (c: string): RevisionState => ({ deployed: sha(c), lastApplied: sha(c), lastAttempt: { revision: sha(c), result: 'succeeded', at: 1 } });

interface Row {
  name: string;
  input: Partial<RevisionDecisionInput> & { head: string | undefined };
  action: 'deploy' | 'reconcile' | 'skip';
  revision?: string;
  superseded?: string[];
  dropped?: string[];
  releaseHold?: boolean;
  reason?: RegExp;
}

const rows: Row[] = [
  { name: 'a push of the new head deploys it', input: { head: sha('b'), pending: [pending('b')], state: applied('a') }, action: 'deploy', revision: sha('b'), reason: /new branch head/ },
  { name: 'a burst deploys the head and supersedes the rest', input: { head: sha('d'), pending: [pending('b', 1), pending('c', 2), pending('d', 3)], state: applied('a') }, action: 'deploy', revision: sha('d'), superseded: [sha('b'), sha('c')] },
  { name: 'deliveries out of order still deploy the head', input: { head: sha('c'), pending: [pending('c', 1), pending('b', 2)], state: applied('a') }, action: 'deploy', revision: sha('c'), superseded: [sha('b')] },
  { name: 'a head pushed before its webhook arrived: the head deploys, the older pending revision is superseded', input: { head: sha('c'), pending: [pending('b')], state: applied('a') }, action: 'deploy', revision: sha('c'), superseded: [sha('b')] },
  { name: 'first deploy of a target', input: { head: sha('a'), pending: [pending('a')], state: {} }, action: 'deploy', revision: sha('a') },
  { name: 'a rewound branch deploys its rewound head (an ancestor of the deployed)', input: { head: sha('a'), pending: [pending('a')], state: applied('b') }, action: 'deploy', revision: sha('a') },
  { name: 'a rewind found by the schedule deploys the rewound head', input: { head: sha('a'), pending: [], state: applied('b'), driftCheck: true }, action: 'deploy', revision: sha('a'), reason: /never deployed/ },
  { name: 'a replayed old delivery cannot move the target off its head, nor give it a second status', input: { head: sha('b'), pending: [pending('a')], state: applied('b'), settled: new Set([sha('a')]) }, action: 'skip', dropped: [sha('a')] },
  { name: 'a commit deployed as the head before its own delivery arrived is not superseded later', input: { head: sha('c'), pending: [pending('b'), pending('c')], state: applied('b'), settled: new Set([sha('b')]) }, action: 'deploy', revision: sha('c'), dropped: [sha('b')] },
  { name: 'an unknown sha from a generic webhook is superseded by the head, not fetched', input: { head: sha('a'), pending: [pending('f')], state: applied('a') }, action: 'skip', superseded: [sha('f')] },
  { name: 'a redelivery of the applied head changes nothing', input: { head: sha('b'), pending: [pending('b')], state: applied('b') }, action: 'skip', dropped: [sha('b')] },
  { name: 'the schedule plans the applied head for drift', input: { head: sha('b'), pending: [], state: applied('b'), driftCheck: true }, action: 'reconcile', revision: sha('b') },
  { name: 'the schedule finds a missed push', input: { head: sha('c'), pending: [], state: applied('b'), driftCheck: true }, action: 'deploy', revision: sha('c'), reason: /never deployed \(a lost webhook\?\)/ },
  {
    name: 'a head that failed for good is not retried by the schedule; drift heals toward the last applied revision',
    input: { head: sha('b'), pending: [], state: { ...applied('a'), lastAttempt: { revision: sha('b'), result: 'failed', permanent: true, stage: 'plan', at: 2 } }, failures: { [sha('b')]: { ...failed, stage: 'plan' } }, driftCheck: true },
    action: 'reconcile',
    revision: sha('a'),
    reason: /failed at plan and is not retried automatically/,
  },
  {
    name: 'a redelivery of a failed head is dropped quietly (its failure status stands)',
    input: { head: sha('b'), pending: [pending('b')], state: applied('a'), failures: { [sha('b')]: failed } },
    action: 'skip',
    dropped: [sha('b')],
  },
  {
    name: 'after an automatic rollback the target is held at the rolled-back revision',
    input: { head: sha('b'), pending: [], state: { ...applied('a'), held: { from: sha('b'), at: sha('a'), since: 3 } }, failures: { [sha('b')]: failed }, driftCheck: true },
    action: 'reconcile',
    revision: sha('a'),
    releaseHold: false,
    reason: new RegExp(`rolled back from ${short('b')}; held at ${short('a')} until a newer commit`),
  },
  {
    name: 'a newer commit ends the hold and deploys',
    input: { head: sha('c'), pending: [pending('c')], state: { ...applied('a'), held: { from: sha('b'), at: sha('a'), since: 3 } }, failures: {} },
    action: 'deploy',
    revision: sha('c'),
    releaseHold: true,
  },
  { name: 'a failed head with nothing ever applied has nothing to heal toward', input: { head: sha('b'), pending: [], state: {}, failures: { [sha('b')]: failed }, driftCheck: true }, action: 'skip' },
  {
    name: 'a transient failure (errored) of the head is retried automatically',
    input: { head: sha('b'), pending: [], state: { ...applied('a'), lastAttempt: { revision: sha('b'), result: 'errored', permanent: false, at: 2 } }, failures: {}, driftCheck: true },
    action: 'deploy',
    revision: sha('b'),
  },
  { name: 'a person\'s /sync retries a head that failed for good', input: { head: sha('b'), pending: [], byPerson: true, state: applied('a'), failures: { [sha('b')]: failed } }, action: 'deploy', revision: sha('b'), releaseHold: true },
  { name: 'a named revision deploys exactly, leaving pending revisions alone', input: { requested: sha('a'), head: undefined, pending: [pending('c')], byPerson: true, state: applied('b') }, action: 'deploy', revision: sha('a'), superseded: [] },
  { name: 'a branch that no longer exists supersedes what waits', input: { head: undefined, pending: [pending('b')], state: applied('a') }, action: 'skip', superseded: [sha('b')], reason: /branch does not exist/ },
];

describe('decideRevision (branch truth)', () => {
  it.each(rows)('$name', (row) => {
    const decision = decideRevision({ byPerson: false, pending: [], state: {}, failures: {}, settled: new Set(), driftCheck: false, ...row.input });
    expect(decision.action).toBe(row.action);
    if (row.revision) expect(decision.revision).toBe(row.revision);
    if (row.action === 'skip') expect(decision.revision).toBeUndefined();
    expect(decision.superseded.map((s) => s.revision.sha).sort()).toEqual((row.superseded ?? []).sort());
    expect(decision.dropped.map((p) => p.sha)).toEqual(row.dropped ?? []);
    if (row.releaseHold !== undefined) expect(decision.releaseHold).toBe(row.releaseHold);
    if (row.reason) expect(decision.reason).toMatch(row.reason);
  });

  it('names the head in every superseded message', () => {
    const decision = decideRevision({ byPerson: false, head: sha('d'), pending: [pending('b'), pending('d')], state: applied('a'), failures: {}, settled: new Set(), driftCheck: false });
    expect(decision.superseded).toEqual([{ revision: pending('b'), message: `superseded by ${short('d')}` }]);
    expect(decision.pendingEntry).toEqual(pending('d'));
  });
});
