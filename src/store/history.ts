import type { ChainableCommander, Redis } from 'ioredis';
import type { OutcomeRecord } from '../model/outcome.js';
import type { Trigger } from '../model/trigger.js';
import type { Keys } from './keys.js';

/**
 * One run of one target, as `driftless history` shows it: its outcome (`drifted`: the reconcile
 * found the cluster differing from Git; `healed`: and corrected it) and its timings.
 */
export interface HistoryEntry extends OutcomeRecord {
  target: string;
  revision: string;
  trigger: Trigger;
  /** Milliseconds per stage: fetch, render, plan, apply, prune, wait. */
  timings: Record<string, number>;
  startedAt: number;
  finishedAt: number;
}

/**
 * The newest entry's revision that ended healthy (`succeeded`) and is not `current`. Heals,
 * drift and failures are not candidates: a heal re-applied what already ran.
 */
export function previousHealthy(newestFirst: readonly Pick<HistoryEntry, 'result' | 'revision'>[], current: string | undefined): string | undefined {
  return newestFirst.find((e) => e.result === 'succeeded' && e.revision !== current)?.revision;
}

/** Entries kept per target: how far back a rollback or `/deploy <sha>` can look. */
const keep = 200;

/** Adds the commands that record `entry` (newest first, `keep` kept) to a transaction of the caller's. */
export function pushHistory(multi: ChainableCommander, k: Keys, entry: HistoryEntry): ChainableCommander {
  const key = k.history(entry.target);
  return multi.lpush(key, JSON.stringify(entry)).ltrim(key, 0, keep - 1);
}

export class HistoryStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async record(entry: HistoryEntry): Promise<void> {
    await pushHistory(this.redis.multi(), this.keys, entry).exec();
  }

  /** Newest first. */
  async list(target: string, limit = 20): Promise<HistoryEntry[]> {
    const rows = await this.redis.lrange(this.keys.history(target), 0, limit - 1);
    return rows.map((r) => JSON.parse(r) as HistoryEntry);
  }

  /**
   * The newest revision that ended healthy and is not `current` (what runs now): where a
   * rollback without a named revision goes (`/rollback`, `driftless rollback`).
   */
  async previousHealthy(target: string, current: string | undefined): Promise<string | undefined> {
    return previousHealthy(await this.list(target, keep), current);
  }
}
