import type { Redis } from 'ioredis';
import type { ChangeSummary } from '../model/change.js';
import type { Trigger } from '../model/trigger.js';
import type { Keys } from './keys.js';

/** One sync of one target, as `driftless history` shows it. */
export interface HistoryEntry {
  target: string;
  revision: string;
  trigger: Trigger;
  /** `drifted`: the reconcile loop found the cluster differing from Git (warn); `healed`: and corrected it. */
  result: 'succeeded' | 'failed' | 'errored' | 'superseded' | 'drifted' | 'healed';
  /** What went wrong, for failed and errored syncs. */
  message?: string;
  /** The stage that failed. */
  stage?: string;
  summary?: ChangeSummary;
  /** Milliseconds per stage: fetch, render, plan, apply, prune. */
  timings: Record<string, number>;
  startedAt: number;
  finishedAt: number;
}

const keep = 200;

export class HistoryStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async record(entry: HistoryEntry): Promise<void> {
    const key = this.keys.history(entry.target);
    await this.redis.multi().lpush(key, JSON.stringify(entry)).ltrim(key, 0, keep - 1).exec();
  }

  /** Newest first. */
  async list(target: string, limit = 20): Promise<HistoryEntry[]> {
    const rows = await this.redis.lrange(this.keys.history(target), 0, limit - 1);
    return rows.map((r) => JSON.parse(r) as HistoryEntry);
  }
}
