import type { Redis } from 'ioredis';

/** One action a person or token asked for from the dashboard or the API, allowed or refused. */
export interface ActionRecord {
  target: string;
  action: 'sync' | 'rollback' | 'lock' | 'unlock';
  /** Login of the person (GitHub login, GitLab username) or `token:<name>`. */
  actor: string;
  via: 'dashboard' | 'api';
  /** The revision a rollback deploys. */
  revision?: string;
  /** The pull request a lock holds the target for. */
  pr?: number;
  /** `queued`: a sync was enqueued; `done`: a lock taken or released; `refused`: not authorized or not possible. */
  result: 'queued' | 'done' | 'refused';
  /** What happened, or why it was refused. */
  message: string;
  /** The delivery id of the sync it enqueued: its history entry carries the same. */
  deliveryId?: string;
  /** Milliseconds since the epoch. */
  at: number;
}

/** Entries kept per target. */
const keep = 200;

/**
 * Who did what to a target from the dashboard or the API, newest first, under
 * `<prefix>:target:<t>:actions`. The syncs they enqueue are in history too, with the person as
 * their trigger's actor; locks, unlocks and refusals are only here.
 */
export class ActionLog {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(target: string): string {
    return `${this.prefix}:target:${target}:actions`;
  }

  async record(entry: ActionRecord): Promise<void> {
    const key = this.key(entry.target);
    await this.redis.multi().lpush(key, JSON.stringify(entry)).ltrim(key, 0, keep - 1).exec();
  }

  /** Newest first. */
  async list(target: string, limit = 20): Promise<ActionRecord[]> {
    return (await this.redis.lrange(this.key(target), 0, limit - 1)).map((r) => JSON.parse(r) as ActionRecord);
  }
}
