import { randomUUID } from 'node:crypto';
import type { ChainableCommander, Redis } from 'ioredis';
import type { TerminalReport } from '../model/outcome.js';
import type { LastAttempt, PendingRevision, RevisionFailure, RevisionHold, RevisionState } from '../model/revision.js';
import { pushHistory, type HistoryEntry } from './history.js';
import type { Keys } from './keys.js';

/** How many permanent failures are remembered per target; older ones may be retried automatically again. */
const keepFailures = 100;
/** How many settled revisions are remembered per target: a delivery older than that may be settled twice. */
const keepSettled = 1_000;
/** Seconds a settled revision's terminal report is kept to be reported again: as long as delivery ids are remembered. */
const keepTerminalReportSeconds = 7 * 24 * 3600;

/** A target's pushes as a push's sync sees them before it takes the lock; times in milliseconds since the epoch. */
export interface PushActivity {
  /** How many revisions are pending (what deliveries named that no sync has settled). */
  pending: number;
  /** When the oldest and the newest pending delivery arrived (the web's clock). */
  oldest?: number;
  newest?: number;
  /** When the target's last sync that deployed, healed or attempted a revision ended (the worker's clock). */
  lastRunEndedAt?: number;
}

/** The outcome of one run of a revision, as the reconciler records it. */
export interface AttemptRecord extends LastAttempt {
  /**
   * A deploy is an attempt of a revision (it becomes the last attempt; a permanent failure is
   * remembered). A heal or a rollback re-applies a revision that was applied before: it only
   * moves what runs, so the state keeps saying which new revision was tried last and how it went.
   */
  purpose: 'deploy' | 'heal' | 'rollback';
  /** Whether the run left the cluster changed (writes happened): then it is what runs. */
  changedCluster: boolean;
}

/** What a run leaves in Redis, written in one transaction by `RevisionStore.recordOutcome`. */
export interface OutcomeWrite {
  /** How the run's attempt ended; absent when nothing was attempted (revisions superseded). */
  attempt?: AttemptRecord;
  /** Revisions that now have their terminal status. */
  settled?: readonly string[];
  /** The terminal reports of settled revisions, by revision (see TerminalReport). */
  reports?: Readonly<Record<string, TerminalReport>>;
  /** The run's lines in history, oldest first. */
  history?: readonly HistoryEntry[];
  /** Folders outside the target's path that the render read (see readPathsOutside). */
  readPaths?: readonly string[];
}

/**
 * Revision state per target, in Flux's terms: pending revisions (what deliveries named), the
 * last attempted revision and how it ended, the last applied (healthy) revision, what the
 * cluster runs, permanent failures, and a hold after an automatic rollback.
 */
export class RevisionStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** Adds a pending revision to each target, in one transaction; the first delivery of a sha keeps its trigger. */
  async addPending(targets: readonly string[], revision: PendingRevision): Promise<void> {
    const multi = this.redis.multi();
    for (const target of targets) {
      multi.zadd(this.keys.pending(target), 'NX', revision.receivedAt, revision.sha);
      multi.hsetnx(this.keys.pendingMeta(target), revision.sha, JSON.stringify({ receivedAt: revision.receivedAt, trigger: revision.trigger }));
    }
    await multi.exec();
  }

  /** Oldest first. */
  async pending(target: string): Promise<PendingRevision[]> {
    const shas = await this.redis.zrange(this.keys.pending(target), 0, '-1');
    if (shas.length === 0) return [];
    const metas = await this.redis.hmget(this.keys.pendingMeta(target), ...shas);
    return shas.map((sha, i) => {
      const meta = metas[i] ? (JSON.parse(metas[i]) as Omit<PendingRevision, 'sha'>) : undefined;
      return { sha, receivedAt: meta?.receivedAt ?? 0, trigger: meta?.trigger ?? { kind: 'push', deliveryId: 'unknown', actor: 'unknown' } };
    });
  }

  /**
   * How many revisions are pending, when the oldest and newest arrived, and when the last run
   * ended: what a push's sync needs to tell a burst from a lone push (quietUntil), in one round trip.
   */
  async activity(target: string): Promise<PushActivity> {
    const key = this.keys.pending(target);
    const rows = await this.redis.multi().zcard(key).zrange(key, '0', '0', 'WITHSCORES').zrange(key, '-1', '-1', 'WITHSCORES').hmget(this.keys.state(target), 'deployedAt', 'lastAttempt').exec();
    const [pending, first, last, state] = (rows ?? []).map(([err, value]) => {
      if (err) throw err;
      return value;
    }) as [number, string[], string[], (string | null)[]];
    const [deployedAt, lastAttempt] = state;
    const ends = [deployedAt ? Number(deployedAt) : undefined, lastAttempt ? (JSON.parse(lastAttempt) as LastAttempt).at : undefined].filter((t) => t !== undefined);
    return {
      pending,
      oldest: first[1] === undefined ? undefined : Number(first[1]),
      newest: last[1] === undefined ? undefined : Number(last[1]),
      lastRunEndedAt: ends.length > 0 ? Math.max(...ends) : undefined,
    };
  }

  /** Removes revisions a sync has settled (deployed, failed or superseded); later deliveries stay. */
  async removePending(target: string, shas: readonly string[]): Promise<void> {
    if (shas.length === 0) return;
    await this.redis.multi().zrem(this.keys.pending(target), ...shas).hdel(this.keys.pendingMeta(target), ...shas).exec();
  }

  async state(target: string): Promise<RevisionState> {
    const h = await this.redis.hgetall(this.keys.state(target));
    // deployedSha and healthySha are the names Driftless 0.1 wrote
    return {
      deployed: h.deployed || h.deployedSha || undefined,
      deployedAt: h.deployedAt ? Number(h.deployedAt) : undefined,
      lastApplied: h.lastApplied || h.healthySha || undefined,
      lastAttempt: h.lastAttempt ? (JSON.parse(h.lastAttempt) as LastAttempt) : undefined,
      held: h.held ? (JSON.parse(h.held) as RevisionHold) : undefined,
    };
  }

  /**
   * Records how a run ended (its attempt, the revisions it settled, its history lines, what its
   * render read) in one transaction, with a fresh token; returns the token. A Redis failover can
   * lose the transaction only as a whole: `holdsOutcome` then tells whether the server that
   * answers now has it.
   */
  async recordOutcome(target: string, write: OutcomeWrite): Promise<string> {
    const token = randomUUID();
    const multi = this.redis.multi();
    if (write.attempt) this.attemptCommands(multi, target, write.attempt);
    if (write.settled?.length) this.settledCommands(multi, target, write.settled);
    for (const [sha, report] of Object.entries(write.reports ?? {})) multi.set(this.keys.terminalReport(target, sha), JSON.stringify(report), 'EX', keepTerminalReportSeconds);
    for (const entry of write.history ?? []) pushHistory(multi, this.keys, entry);
    if (write.readPaths) multi.set(this.keys.readPaths(target), JSON.stringify(write.readPaths));
    await multi.set(this.keys.outcomeToken(target), token).exec();
    if (write.attempt?.purpose === 'deploy' && write.attempt.permanent) await this.trimFailures(target);
    return token;
  }

  /** The terminal reports kept for these revisions (see TerminalReport), by revision; expired or never written ones are absent. */
  async terminalReports(target: string, revisions: readonly string[]): Promise<Map<string, TerminalReport>> {
    if (revisions.length === 0) return new Map();
    const rows = await this.redis.mget(...revisions.map((sha) => this.keys.terminalReport(target, sha)));
    return new Map(revisions.flatMap((sha, i) => (rows[i] ? [[sha, JSON.parse(rows[i]) as TerminalReport] as const] : [])));
  }

  /** Whether the outcome `recordOutcome` wrote with `token` is the target's newest on the server answering now. */
  async holdsOutcome(target: string, token: string): Promise<boolean> {
    return (await this.redis.get(this.keys.outcomeToken(target))) === token;
  }

  /**
   * Adds the commands recording how an attempt ended to `multi`: it becomes the last attempt; a
   * success is the last applied revision and clears any failure of it; a permanent failure is
   * remembered so that automation does not try it again. False when the attempt changes nothing.
   */
  private attemptCommands(multi: ChainableCommander, target: string, attempt: AttemptRecord): boolean {
    const { changedCluster, purpose, ...last } = attempt;
    const deploy = purpose === 'deploy';
    const fields: Record<string, string> = deploy ? { lastAttempt: JSON.stringify(last) } : {};
    if (changedCluster || last.result === 'succeeded') Object.assign(fields, { deployed: last.revision, deployedAt: String(last.at) });
    if (last.result === 'succeeded') fields.lastApplied = last.revision;
    if (Object.keys(fields).length === 0) return false;
    multi.hset(this.keys.state(target), fields);
    const failures = this.keys.failures(target);
    if (deploy && last.result === 'succeeded') multi.zrem(failures, last.revision).hdel(this.keys.failureMeta(target), last.revision);
    if (deploy && last.result !== 'succeeded' && last.permanent) {
      const failure: RevisionFailure = { stage: last.stage, reason: last.reason ?? 'failed', at: last.at };
      multi.zadd(failures, last.at, last.revision).hset(this.keys.failureMeta(target), last.revision, JSON.stringify(failure));
    }
    return true;
  }

  /** Permanent failures of these revisions, by revision. */
  async failures(target: string, revisions: readonly string[]): Promise<Record<string, RevisionFailure>> {
    if (revisions.length === 0) return {};
    const rows = await this.redis.hmget(this.keys.failureMeta(target), ...revisions);
    const out: Record<string, RevisionFailure> = {};
    rows.forEach((row, i) => {
      if (row) out[revisions[i]!] = JSON.parse(row) as RevisionFailure;
    });
    return out;
  }

  /**
   * Adds the commands remembering that these revisions have their terminal status (deployed,
   * failed, superseded) to `multi`, so a late or repeated delivery of one is dropped instead of
   * getting a second one.
   */
  private settledCommands(multi: ChainableCommander, target: string, revisions: readonly string[]): ChainableCommander {
    const key = this.keys.settled(target);
    const now = Date.now();
    return multi.zadd(key, ...revisions.flatMap((r) => [now, r])).zremrangebyrank(key, 0, -(keepSettled + 1));
  }

  /** Which of these revisions already have their terminal status. */
  async settled(target: string, revisions: readonly string[]): Promise<Set<string>> {
    if (revisions.length === 0) return new Set();
    const scores = await this.redis.zmscore(this.keys.settled(target), ...revisions);
    return new Set(revisions.filter((_, i) => scores[i] !== null));
  }

  /** The read paths of these targets, by target; a target never rendered has none. */
  async readPaths(targets: readonly string[]): Promise<Map<string, string[]>> {
    if (targets.length === 0) return new Map();
    const rows = await this.redis.mget(...targets.map((t) => this.keys.readPaths(t)));
    return new Map(targets.map((t, i) => [t, rows[i] ? (JSON.parse(rows[i]) as string[]) : []]));
  }

  /** A person asked to retry this revision: automation may attempt it again too. */
  async forgetFailure(target: string, revision: string): Promise<void> {
    await this.redis.multi().zrem(this.keys.failures(target), revision).hdel(this.keys.failureMeta(target), revision).exec();
  }

  async hold(target: string, hold: RevisionHold): Promise<void> {
    await this.redis.hset(this.keys.state(target), 'held', JSON.stringify(hold));
  }

  async releaseHold(target: string): Promise<void> {
    await this.redis.hdel(this.keys.state(target), 'held');
  }

  private async trimFailures(target: string): Promise<void> {
    const old = await this.redis.zrange(this.keys.failures(target), 0, String(-(keepFailures + 1)));
    if (old.length > 0) await this.redis.multi().zrem(this.keys.failures(target), ...old).hdel(this.keys.failureMeta(target), ...old).exec();
  }
}
