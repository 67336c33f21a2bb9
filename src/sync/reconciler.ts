import type { TargetConfig } from '../config/schema.js';
import type { KubeClient } from '../kube/client.js';
import type { Discovery } from '../kube/discovery.js';
import type { Logger } from '../log.js';
import { requestedByPerson, type Trigger } from '../model/trigger.js';
import { failureReason, type OutcomeRecord, type RollbackOutcome, type SyncOutcome, type TerminalReport } from '../model/outcome.js';
import type { PendingRevision, SyncStage } from '../model/revision.js';
import type { HistoryEntry, HistoryStore } from '../store/history.js';
import type { PullHold } from '../model/pull.js';
import type { OutcomeWrite, RevisionStore } from '../store/revisions.js';
import { historyChanges, isWrite, summarize, type Change } from './changeset.js';
import { applyPlan, planRevision, stage, SyncStageError, type PlannedRevision, type SyncDeps, type SyncResult, type SyncSource } from './pipeline.js';
import { planChangeSet } from './plan.js';
import { readPathsOutside } from './read-paths.js';
import { decideRevision, type SettledRevision } from './revision-decision.js';

/** One run of the straight line for one revision: a deploy, a heal of drift, or a rollback. */
export interface Run {
  revision: string;
  /** The delivery (or schedule, CLI, command) the run reports under. */
  trigger: Trigger;
  purpose: 'deploy' | 'heal' | 'rollback';
}

/** How a run ended, for the observer: a success or heal, or a failure (with its rollback). */
export type RunOutcome = Extract<SyncOutcome, { result: 'succeeded' | 'healed' | 'failed' | 'errored' }>;

/**
 * Progress and outcomes leave the reconciler through this interface; the worker wires it to
 * commit statuses, deployments, the pull request comment, events and notifications, so the
 * reconciler imports no provider or report code.
 */
export interface ReconcileObserver {
  started(run: Run): Promise<void>;
  stage(run: Run, stage: SyncStage): Promise<void>;
  health(run: Run, healthy: number, total: number): Promise<void>;
  /** The run ended: applied and healthy, healed, or failed (after its rollback, if any). */
  finished(run: Run, outcome: RunOutcome): Promise<void>;
  /** The live cluster differs from the revision the target should run; `healing` says whether a heal follows. */
  drifted(run: Run, drift: readonly Change[], healing: boolean): Promise<void>;
  /** A pull request's hold (`/lock`) keeps these revisions waiting. */
  held(waiting: readonly PendingRevision[], lock: PullHold): Promise<void>;
  /**
   * A revision's terminal status from its kept report, without a run of its own: a pending
   * revision superseded, or a settled one found still pending (the run that settled it may have
   * ended before its status was queued), then as the same report job again.
   */
  settled(revision: string, report: TerminalReport): Promise<void>;
}

export interface ReconcilerDeps {
  target: TargetConfig;
  revisions: RevisionStore;
  history: HistoryStore;
  /** Clone URL and credentials of the target's repository at a commit. */
  source(sha: string): Promise<SyncSource>;
  /**
   * The branch head as the git host reports it (`git ls-remote`) at some time after `newestPush`
   * (epoch ms; 0 when nothing is pending) and after this sync was asked for; undefined when the
   * branch is gone.
   */
  branchHead(newestPush: number): Promise<string | undefined>;
  /** The pull request's hold on the target (`/lock`), if any. */
  pullHold(): Promise<PullHold | undefined>;
  kube: KubeClient;
  discovery: Discovery;
  cacheDir: string;
  /** Bound to the delivery and target; the reconciler adds the commit. */
  log: Logger;
  /** Aborted at shutdown or when the target lock is lost: the run stops between steps. */
  signal?: AbortSignal;
  /** Runs the creation of new objects under the cluster's creation lock (see PlanContext.serializeCreates). */
  serializeCreates?: SyncDeps['serializeCreates'];
  observer: ReconcileObserver;
  /**
   * Resolves once replicas acknowledged the writes so far (the runtime's `replicated`, never
   * rejecting). A run's outcome is reported only after it, and once the server answering holds
   * the outcome (see recordOutcome): a job that runs again on a promoted replica then finds its
   * revision settled instead of giving it a second, different outcome ("deployed", then
   * "superseded by ..."). Absent: no replicas to wait for.
   */
  durable?(): Promise<void>;
  /** Whether a failure is this job's last word (no retry with backoff follows): only then is it recorded and reported. */
  finalAttempt(err: SyncStageError): boolean;
}

/** What one reconcile asks for: the branch head (automatic, or a person's `/sync`), or a named revision. */
export interface ReconcileRequest {
  trigger: Trigger;
  /** A full commit id a person named; deployed exactly. */
  revision?: string;
  /** The commit a push delivery named: its sync ends early only once this commit is settled (see settledPush). */
  commit?: string;
}

/**
 * Whether a push's sync that finds nothing pending for its target has nothing left to do: its
 * commit was settled (deployed, failed or superseded) by an earlier sync. Nothing pending alone
 * does not say so: the delivery's pending revision is written before its job is added, but when
 * Redis lost its scripts (a restart, a failover) the claim's EVALSHA is answered NOSCRIPT and
 * sent again as EVAL after the job, which a worker may take first.
 */
export async function settledPush(revisions: Pick<RevisionStore, 'settled'>, target: string, commit: string | undefined): Promise<boolean> {
  return commit === undefined || (await revisions.settled(target, [commit])).has(commit);
}

export type ReconcileResult =
  | { result: 'skipped'; reason: string }
  | { result: 'locked'; by: number }
  | { result: 'in sync'; revision: string }
  | { result: 'drifted'; revision: string; drift: Change[] }
  | { result: 'deployed' | 'healed'; revision: string; changes: Change[]; timings: SyncResult['timings']; drift?: Change[] };

/** Whether a failed run left the cluster changed: a failed health check, or writes before apply or prune failed. */
export function changedCluster(err: SyncStageError): boolean {
  return err.stage === 'wait' || err.stage === 'prune' || err.applied.length > 0;
}

const short = (sha: string) => sha.slice(0, 7);
const silent: ReconcileObserver = {
  started: async () => undefined,
  stage: async () => undefined,
  health: async () => undefined,
  finished: async () => undefined,
  drifted: async () => undefined,
  held: async () => undefined,
  settled: async () => undefined,
};

/**
 * The one reconciler every path runs (push and generic webhooks, comment commands, the CLI,
 * missed-push detection, drift heal), read top to bottom like Flux's kustomize-controller
 * `reconcile()`: resolve the revision → fetch → render → plan → apply (staged) → prune → wait
 * → record → roll back on failure. Run under the target's lock.
 */
export async function reconcile(request: ReconcileRequest, deps: ReconcilerDeps): Promise<ReconcileResult> {
  const { target, revisions } = deps;
  const timings: SyncResult['timings'] = {};
  const byPerson = requestedByPerson(request.trigger);
  const decision = await stage('resolve', timings, syncDeps(deps), async () => {
    const [state, pending] = await Promise.all([revisions.state(target.name), revisions.pending(target.name)]);
    // a push delivery whose revision an earlier sync settled has nothing left to look at
    if (!byPerson && request.trigger.kind !== 'schedule' && !request.revision && pending.length === 0 && (await settledPush(revisions, target.name, request.commit))) return undefined;
    // read after the pending pushes: a listing shared with other syncs must have started after them
    const head = request.revision ? undefined : await deps.branchHead(Math.max(0, ...pending.map((p) => p.receivedAt)));
    const [failures, settled] = await Promise.all([head ? revisions.failures(target.name, [head]) : {}, revisions.settled(target.name, pending.map((p) => p.sha))]);
    return { state, ...decideRevision({ requested: request.revision, byPerson, head, pending, state, failures, settled, driftCheck: request.trigger.kind === 'schedule' }) };
  });
  if (!decision) return { result: 'skipped', reason: 'nothing pending' };
  await settle(decision.superseded, deps);
  await reportAgain(decision.dropped, deps);
  await revisions.removePending(target.name, [...decision.superseded.map((s) => s.revision.sha), ...decision.dropped.map((p) => p.sha)]);
  if (decision.releaseHold && decision.state.held) await revisions.releaseHold(target.name);
  if (byPerson && decision.revision) await revisions.forgetFailure(target.name, decision.revision);
  deps.log.info({ action: decision.action, revision: decision.revision, reason: decision.reason, superseded: decision.superseded.length }, 'revision resolved');
  if (decision.action === 'skip' || !decision.revision) return { result: 'skipped', reason: decision.reason };
  // a locked target only runs what the locking pull request asks for; the rest waits, recorded
  const lock = await deps.pullHold();
  if (lock && !(request.trigger.pr === lock.pr && byPerson)) {
    await deps.observer.held(decision.pendingEntry ? [decision.pendingEntry] : [], lock);
    return { result: 'locked', by: lock.pr };
  }

  if (decision.action === 'deploy') {
    const run: Run = { revision: decision.revision, trigger: decision.pendingEntry?.trigger ?? request.trigger, purpose: 'deploy' };
    // the pending entry stays while a retry with backoff follows, so the retry reports under it too
    const settled = () => revisions.removePending(target.name, decision.pendingEntry ? [decision.pendingEntry.sha] : []);
    try {
      const result = await runRevision(run, deps, timings);
      await settled();
      return result;
    } catch (err) {
      if (!deps.signal?.aborted && err instanceof SyncStageError && deps.finalAttempt(err)) await settled();
      throw err;
    }
  }

  // reconcile: plan what the target should run against the live cluster; drift is healed by the same line
  const run: Run = { revision: decision.revision, trigger: request.trigger, purpose: 'heal' };
  const { plan, ctx, read, hooks } = await planRevision(await deps.source(run.revision), syncDeps(deps, run), timings);
  const drift = planChangeSet(plan).filter(isWrite);
  if (drift.length === 0) return { result: 'in sync', revision: run.revision };
  const heal = target.reconcile.drift === 'heal';
  if (!heal) {
    // the same drift found again by the next interval is already told: one history line and
    // one announcement, not one per interval, which would push the healthy revisions a
    // rollback needs out of the history kept
    const message = driftMessage(drift, false);
    const [newest] = await deps.history.list(target.name, 1);
    if (!(newest?.result === 'drifted' && newest.revision === run.revision && newest.message === message)) {
      await deps.observer.drifted(run, drift, false);
      await deps.history.record(historyEntry(deps, run, { result: 'drifted', reason: 'DriftDetected', summary: summarize(drift), message, changes: historyChanges(drift) }, timings, Date.now()));
    }
    return { result: 'drifted', revision: run.revision, drift };
  }
  await deps.observer.drifted(run, drift, true);
  // a heal is a sync: hooks run as they do on a deploy (as in Argo CD)
  const healed = await runRevision(run, deps, timings, { plan, ctx, read, hooks, drift });
  return { ...healed, drift };
}

/** `healed: ConfigMap/shop/a (changed), ConfigMap/shop/b (missing)` */
function driftMessage(drift: readonly Change[], healed: boolean): string {
  const subjects = drift.map((c) => `${c.subject} (${driftWords[c.action] ?? c.action})`);
  return `${healed ? 'healed' : 'drift'}: ${subjects.join(', ')}`;
}

/** How drift reads per action: what the reconcile found, not what the heal does about it. */
const driftWords: Partial<Record<Change['action'], string>> = {
  created: 'missing',
  adopted: 'exists, not yet this target\'s',
  configured: 'changed',
  deleted: 'not in Git',
  released: 'adopted, no longer in Git',
};

/**
 * Pending revisions that will not be deployed: settled and a line in history each, made
 * durable, then their terminal statuses. Settled first: a later sync then never gives one of
 * them a second, different outcome, even after a failover.
 */
async function settle(superseded: readonly SettledRevision[], deps: ReconcilerDeps): Promise<void> {
  if (superseded.length === 0) return;
  const now = Date.now();
  const reports = superseded.map(({ revision, message }): [string, TerminalReport] => [revision.sha, { trigger: revision.trigger, outcome: { result: 'superseded', reason: 'Superseded', message } }]);
  await recordOutcome(deps, {
    settled: reports.map(([sha]) => sha),
    reports: Object.fromEntries(reports),
    history: reports.map(([sha, { trigger, outcome }]) => historyEntry(deps, { revision: sha, trigger }, outcome, {}, now)),
  });
  for (const [sha, report] of reports) await deps.observer.settled(sha, report);
}

/**
 * Pending revisions dropped because they are settled: a late delivery, or a run that settled one
 * and ended (a crash, a failover) before it removed the pending entry, maybe before its report
 * was queued. Each gets its terminal report again; the report job is the first one's, so a
 * report that went out is not repeated while the queue holds it.
 */
async function reportAgain(dropped: readonly PendingRevision[], deps: ReconcilerDeps): Promise<void> {
  if (dropped.length === 0) return;
  const reports = await deps.revisions.terminalReports(deps.target.name, dropped.map((p) => p.sha));
  for (const [revision, report] of reports) await deps.observer.settled(revision, report);
}

/** How often an outcome a failover lost is written again before it is reported anyway. */
const outcomeWrites = 3;

/**
 * Writes a run's outcome (one transaction) and, with replicas to wait for (`durable`), returns
 * only once it would survive a failover: a replica acknowledged it and the server answering now
 * holds it. A failover between the write and the wait loses the whole transaction (the
 * connection moves to the promoted replica, which never had it): it is written again there.
 */
async function recordOutcome(deps: ReconcilerDeps, write: OutcomeWrite): Promise<void> {
  const target = deps.target.name;
  for (let written = 1; ; written++) {
    const token = await deps.revisions.recordOutcome(target, write);
    if (!deps.durable) return;
    await deps.durable();
    if (await deps.revisions.holdsOutcome(target, token)) return;
    if (written === outcomeWrites) {
      deps.log.warn({ written }, 'the outcome is still not on the Redis primary; reporting it anyway');
      return;
    }
    deps.log.warn({ written }, 'the outcome is not on the Redis primary (lost in a failover?); writing it again');
  }
}

function syncDeps(deps: ReconcilerDeps, run?: Run): SyncDeps {
  return {
    kube: deps.kube,
    discovery: deps.discovery,
    cacheDir: deps.cacheDir,
    log: run ? deps.log.child({ commit: run.revision }) : deps.log,
    signal: deps.signal,
    serializeCreates: deps.serializeCreates,
    health: deps.target.health,
    onStage: run ? (s) => deps.observer.stage(run, s) : undefined,
    onHealthProgress: run ? (healthy, total) => deps.observer.health(run, healthy, total) : undefined,
  };
}

/**
 * fetch → render → plan (unless planned already) → apply → prune → wait → record, and on a
 * final failure that changed the cluster, the rollback. Throws the stage's error after recording it.
 */
async function runRevision(run: Run, deps: ReconcilerDeps, timings: SyncResult['timings'], planned?: PlannedRevision & { drift: Change[] }): Promise<ReconcileResult & { result: 'deployed' | 'healed' }> {
  const { target, observer } = deps;
  const log = deps.log.child({ commit: run.revision, purpose: run.purpose });
  const startedAt = Date.now();
  if (run.purpose === 'deploy') await observer.started(run);
  log.info({ trigger: run.trigger.kind, actor: run.trigger.actor }, `${run.purpose} started`);
  let result: SyncResult;
  let read: string[];
  try {
    const revision = planned ?? (await planRevision(await deps.source(run.revision), syncDeps(deps, run), timings));
    const { plan, ctx } = revision;
    read = revision.read;
    result = await applyPlan(plan, ctx, target.wait.timeout, syncDeps(deps, run), timings, revision.hooks);
  } catch (caught) {
    // every pipeline step throws a SyncStageError; only finding the repository's source comes before them
    const err = caught instanceof SyncStageError ? caught : new SyncStageError('fetch', caught, timings);
    if (deps.signal?.aborted) throw err;
    log.warn({ stage: err.stage, permanent: err.permanent, err: err.message }, `${run.purpose} failed`);
    if (!deps.finalAttempt(err)) throw err;
    const outcome = { result: err.permanent ? 'failed' : 'errored', reason: failureReason[err.stage], stage: err.stage, message: err.message, summary: err.applied.length ? summarize(err.applied) : undefined } as const;
    const deploy = run.purpose === 'deploy';
    await recordOutcome(deps, {
      attempt: { revision: run.revision, purpose: run.purpose, result: outcome.result, stage: err.stage, reason: err.message, permanent: err.permanent, at: Date.now(), changedCluster: changedCluster(err) },
      settled: deploy ? [run.revision] : [],
      reports: deploy ? { [run.revision]: { trigger: run.trigger, outcome } } : undefined,
      history: [historyEntry(deps, run, { ...outcome, changes: historyChanges(err.applied) }, err.timings, startedAt)],
    });
    const rollback = run.purpose === 'rollback' ? undefined : await rollBack(run, err, deps);
    // the report says how the rollback went; written (with the hold the rollback left) before it is reported
    if (rollback) await recordOutcome(deps, { reports: deploy ? { [run.revision]: { trigger: run.trigger, outcome: { ...outcome, rollback } } } : undefined });
    await observer.finished(run, { ...outcome, rollback });
    throw err;
  }
  // the cluster is healthy at this revision: a Redis hiccup while recording it must not count as a failed deploy (or roll it back)
  const summary = summarize(result.changes);
  const outcome: RunOutcome =
    run.purpose === 'heal' && planned
      ? { result: 'healed', reason: 'DriftHealed', summary: summarize(planned.drift), message: driftMessage(planned.drift, true) }
      : { result: 'succeeded', reason: 'ReconciliationSucceeded', summary };
  const deploy = run.purpose === 'deploy' && outcome.result === 'succeeded';
  await recordOutcome(deps, {
    attempt: { revision: run.revision, purpose: run.purpose, result: 'succeeded', at: Date.now(), changedCluster: true },
    settled: deploy ? [run.revision] : [],
    reports: deploy ? { [run.revision]: { trigger: run.trigger, outcome } } : undefined,
    history: [historyEntry(deps, run, { ...outcome, changes: historyChanges(planned && run.purpose === 'heal' ? planned.drift : result.changes) }, timings, startedAt)],
    // pushes that touch only these folders (a kustomize base outside the path) concern the target too
    readPaths: readPathsOutside(target.path, read),
  });
  await observer.finished(run, outcome);
  log.info({ summary, timings }, `${run.purpose} succeeded`);
  return { result: run.purpose === 'heal' ? 'healed' : 'deployed', revision: run.revision, changes: result.changes, timings };
}

/** A run's line in history, finished now. */
function historyEntry(deps: ReconcilerDeps, run: Pick<Run, 'revision' | 'trigger'>, outcome: OutcomeRecord, timings: SyncResult['timings'], startedAt: number): HistoryEntry {
  const { result, reason, stage, message, summary, changes } = outcome;
  return { target: deps.target.name, revision: run.revision, trigger: run.trigger, result, reason, stage, message, summary, changes, timings, startedAt, finishedAt: Date.now() };
}

/**
 * After a failed run that changed the cluster, re-deploys the last revision that ended healthy
 * (`rollback: onFailure`) and holds the target there until the branch moves on. It runs once,
 * under the same lock; a failed rollback is reported loudly and never retried, so a broken
 * cluster cannot loop.
 */
async function rollBack(failed: Run, err: SyncStageError, deps: ReconcilerDeps): Promise<RollbackOutcome> {
  if (deps.target.rollback !== 'onFailure' || !changedCluster(err)) return undefined;
  const { lastApplied } = await deps.revisions.state(deps.target.name);
  if (!lastApplied || lastApplied === failed.revision) return undefined;
  const run: Run = { revision: lastApplied, trigger: { kind: 'rollback', deliveryId: `rollback-${short(failed.revision)}-${Date.now()}`, actor: 'driftless', pr: failed.trigger.pr }, purpose: 'rollback' };
  const log = deps.log.child({ commit: failed.revision, rollbackTo: lastApplied });
  log.warn('rolling back to the last applied revision');
  try {
    await runRevision(run, { ...deps, observer: silent, finalAttempt: () => true }, {});
    await deps.revisions.hold(deps.target.name, { from: failed.revision, at: lastApplied, since: Date.now() });
    log.info(`rolled back; held at ${short(lastApplied)} until a newer commit`);
    return { rolledBackTo: lastApplied };
  } catch (rollbackErr) {
    const reason = rollbackErr instanceof Error ? rollbackErr.message : String(rollbackErr);
    log.error({ err: reason }, 'ROLLBACK FAILED: the target runs neither the new nor the last applied revision');
    return { rollbackFailed: lastApplied, reason };
  }
}
