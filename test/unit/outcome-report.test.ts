import { describe, expect, it } from 'vitest';
import { failureReason } from '../../src/model/outcome.js';
import type { SyncStage } from '../../src/model/revision.js';
import { reportOutcome } from '../../src/report/outcome.js';
import { historyChanges } from '../../src/sync/changeset.js';
import { previousHealthy, type HistoryEntry } from '../../src/store/history.js';

const sha = 'abcdef0123456789abcdef0123456789abcdef01';
const good = '1234567aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const summary = { created: 1, configured: 2, unchanged: 3, deleted: 0, skipped: 0 };

describe('one outcome, every channel', () => {
  it('maps each failing stage to its Flux-like reason, and a failure Event carries it', () => {
    const stages: SyncStage[] = ['resolve', 'fetch', 'render', 'plan', 'apply', 'prune', 'wait'];
    const reasons = stages.map((stage) => reportOutcome({ result: 'failed', reason: failureReason[stage], stage, message: 'boom' }, sha, 'd1').event.reason);
    expect(reasons).toEqual(['ArtifactFailed', 'ArtifactFailed', 'BuildFailed', 'DryRunFailed', 'ReconciliationFailed', 'PruneFailed', 'HealthCheckFailed']);
  });

  it('a success is a success everywhere, with the summary in words', () => {
    const r = reportOutcome({ result: 'succeeded', reason: 'ReconciliationSucceeded', summary }, sha, 'd1');
    expect(r.status).toEqual({ state: 'success', description: expect.stringMatching(/^deployed: /) });
    expect(r.deployment.state).toBe('success');
    expect(r.comment).toEqual({ result: 'succeeded', summary });
    expect(r.event).toMatchObject({ type: 'Normal', reason: 'SyncSucceeded' });
    expect(r.event.message.startsWith('abcdef0 deployed: ')).toBe(true);
    expect(r.notification).toBeUndefined();
  });

  it('a heal says so in the status and the Event', () => {
    const r = reportOutcome({ result: 'healed', reason: 'DriftHealed', summary, message: 'healed: ConfigMap/a (changed)' }, sha, 'd1');
    expect(r.status.description).toMatch(/^healed drift: /);
    expect(r.event.reason).toBe('DriftHealed');
  });

  it('a permanent failure is a failure; a transient one an error; both notify deploy_failed', () => {
    const failed = reportOutcome({ result: 'failed', reason: 'BuildFailed', stage: 'render', message: 'invalid YAML' }, sha, 'd1');
    const errored = reportOutcome({ result: 'errored', reason: 'ArtifactFailed', stage: 'fetch', message: 'host down' }, sha, 'd2');
    expect([failed.status.state, errored.status.state]).toEqual(['failure', 'error']);
    expect([failed.comment.result, errored.comment.result]).toEqual(['failed', 'errored']);
    expect(failed.notification).toEqual({ event: 'deploy_failed', revision: sha, rolledBackTo: undefined, message: 'invalid YAML', deliveryId: 'd1' });
  });

  it('a rolled-back failure says where it went in every channel', () => {
    const r = reportOutcome({ result: 'failed', reason: 'HealthCheckFailed', stage: 'wait', message: 'Deployment/web not ready', rollback: { rolledBackTo: good } }, sha, 'd1');
    expect(r.status.description).toBe('rolled back to 1234567: Deployment/web not ready');
    expect(r.comment).toMatchObject({ result: 'rolled back', rolledBackTo: good, message: 'Deployment/web not ready' });
    expect(r.event).toMatchObject({ type: 'Warning', reason: 'RolledBack' });
    expect(r.notification).toMatchObject({ event: 'rolled_back', rolledBackTo: good });
  });

  it('a failed rollback is reported as a failure of both, with the failure reason on the Event', () => {
    const r = reportOutcome({ result: 'failed', reason: 'HealthCheckFailed', stage: 'wait', message: 'not ready', rollback: { rollbackFailed: good, reason: 'also broken' } }, sha, 'd1');
    expect(r.status.description).toBe('rollback to 1234567 failed too: not ready');
    expect(r.event.reason).toBe('HealthCheckFailed');
    expect(r.notification?.event).toBe('deploy_failed');
  });
});

describe('previousHealthy: where a rollback without a revision goes', () => {
  const entry = (revision: string, result: HistoryEntry['result']) => ({ revision, result });
  it('is the newest succeeded revision other than what runs now', () => {
    expect(previousHealthy([entry('c', 'succeeded'), entry('b', 'failed'), entry('a', 'succeeded')], 'c')).toBe('a');
  });
  it('skips failures, errors, superseded, drift and heals', () => {
    const entries = [entry('f', 'failed'), entry('e', 'errored'), entry('s', 'superseded'), entry('d', 'drifted'), entry('h', 'healed'), entry('a', 'succeeded')];
    expect(previousHealthy(entries, 'x')).toBe('a');
  });
  it('with nothing deployed yet, the newest success is a candidate; with none, there is none', () => {
    expect(previousHealthy([entry('a', 'succeeded')], undefined)).toBe('a');
    expect(previousHealthy([entry('a', 'succeeded')], 'a')).toBeUndefined();
    expect(previousHealthy([], undefined)).toBeUndefined();
  });
});

describe('historyChanges: the objects a history entry keeps', () => {
  it('keeps the writes with their diffs while the budget lasts, then lists the rest without', () => {
    const changes = [
      { subject: 'ConfigMap/s/a', action: 'configured' as const, diff: 'x'.repeat(40) },
      { subject: 'ConfigMap/s/u', action: 'unchanged' as const },
      { subject: 'ConfigMap/s/b', action: 'created' as const, diff: 'y'.repeat(40) },
      { subject: 'ConfigMap/s/c', action: 'deleted' as const, diff: 'z'.repeat(10) },
    ];
    expect(historyChanges(changes, 60)).toEqual([
      { subject: 'ConfigMap/s/a', action: 'configured', diff: 'x'.repeat(40) },
      { subject: 'ConfigMap/s/b', action: 'created', diff: undefined },
      { subject: 'ConfigMap/s/c', action: 'deleted', diff: 'z'.repeat(10) },
    ]);
  });
});
