import type { Response } from 'express';
import { QueueEvents, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { queueNames, type ReportJobData, type StatusJobData, type SyncJobData } from '../queue/jobs.js';
import type { LiveStage } from '../server/target-view.js';

/** One browser listening on /ui/events, for the targets it may see. */
interface Listener {
  targets: ReadonlySet<string>;
  res: Response;
}

/** What LiveUpdates reads: the queues' jobs, and how to render what changed for a target. */
export interface LiveUpdatesOptions {
  /**
   * A new Redis connection for one queue's events: QueueEvents blocks on XREAD, so it needs one
   * of its own, never timing a command out, reaching Redis as the runtime does (Sentinel, TLS, credentials).
   */
  connect(): Redis;
  prefix: string;
  sync: Pick<Queue<SyncJobData>, 'getJob'>;
  report: Pick<Queue<ReportJobData>, 'getJob'>;
  /** The events to send when `target` changed: event name to HTML fragment. */
  render: (target: string) => Promise<Record<string, string>>;
  log: Logger;
}

/** How long changes of one target are gathered before its fragments are rendered once for everyone. */
const settleMs = 150;
/** SSE comment lines keep proxies from closing an idle stream. */
const keepAliveMs = 25_000;

/**
 * Follows running syncs through the queues' events (BullMQ QueueEvents, Redis streams, so every
 * web replica sees every worker): a sync job becoming active, each commit status a sync posts
 * (queued → applying → waiting for health → its end), a sync job ending. The newest status per
 * target is kept in memory; each change re-renders the target's fragments and sends them to
 * every browser that may see it, as server-sent events.
 */
export class LiveUpdates {
  private readonly stages = new Map<string, LiveStage>();
  private readonly listeners = new Set<Listener>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly connections: Redis[] = [];
  private readonly events: QueueEvents[] = [];
  private readonly keepAlive: NodeJS.Timeout;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: LiveUpdatesOptions) {
    const follow = (name: string) => {
      const connection = options.connect();
      connection.on('error', (err: Error) => options.log.debug({ err: err.message }, 'live updates: Redis connection error'));
      this.connections.push(connection);
      const events = new QueueEvents(name, { connection, prefix: options.prefix });
      events.on('error', (err) => options.log.debug({ queue: name, err: err.message }, 'live updates: queue events error'));
      this.events.push(events);
      return events;
    };
    const sync = follow(queueNames.sync);
    sync.on('active', ({ jobId }) => void this.syncJob(jobId, 'active'));
    sync.on('completed', ({ jobId }) => void this.syncJob(jobId, 'ended'));
    sync.on('failed', ({ jobId }) => void this.syncJob(jobId, 'ended'));
    follow(queueNames.report).on('added', ({ jobId, name }) => {
      if (name === 'status') void this.statusJob(jobId);
    });
    this.keepAlive = setInterval(() => {
      for (const l of this.listeners) l.res.write(': keep-alive\n\n');
    }, keepAliveMs);
    this.keepAlive.unref();
  }

  /** The newest commit status of the target's sync, if the web saw one. */
  stage(target: string): LiveStage | undefined {
    return this.stages.get(target);
  }

  /** Streams the changes of `targets` to `res` until the browser goes away. */
  listen(res: Response, targets: ReadonlySet<string>): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    res.write('retry: 2000\n\n');
    const listener = { targets, res };
    this.listeners.add(listener);
    res.on('close', () => this.listeners.delete(listener));
  }

  /** Re-renders the target for its listeners (after an action, say), once changes settle. */
  changed(target: string): void {
    if (this.timers.has(target) || this.closing) return;
    this.timers.set(
      target,
      setTimeout(() => {
        this.timers.delete(target);
        void this.send(target);
      }, settleMs),
    );
  }

  private async send(target: string): Promise<void> {
    const audience = [...this.listeners].filter((l) => l.targets.has(target));
    if (audience.length === 0) return;
    try {
      const events = await this.options.render(target);
      const text = Object.entries(events)
        .map(([event, fragment]) => `event: ${event}\n${fragment.split('\n').map((line) => `data: ${line}`).join('\n')}\n\n`)
        .join('');
      for (const l of audience) l.res.write(text);
    } catch (err) {
      this.options.log.warn({ target, err: err instanceof Error ? err.message : String(err) }, 'live updates: could not render');
    }
  }

  private async syncJob(jobId: string, phase: 'active' | 'ended'): Promise<void> {
    const job = await this.options.sync.getJob(jobId).catch(() => undefined);
    if (!job) return;
    const { target, revision } = job.data;
    const known = this.stages.get(target);
    if (phase === 'active' && known?.state !== 'pending') {
      this.stages.set(target, { target, sha: revision ?? '', state: 'pending', description: 'syncing', at: Date.now() });
    }
    // a sync that changed nothing posts no status: it is over all the same
    if (phase === 'ended' && known?.state === 'pending') this.stages.delete(target);
    this.changed(target);
  }

  private async statusJob(jobId: string): Promise<void> {
    const job = await this.options.report.getJob(jobId).catch(() => undefined);
    const data = job?.data as StatusJobData | undefined;
    if (!data || data.context !== `driftless/${data.target}`) return;
    this.stages.set(data.target, { target: data.target, sha: data.sha, state: data.state, description: data.description, at: Date.now() });
    this.changed(data.target);
  }

  /** Ends every stream and stops following the queues; idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.keepAlive);
      for (const t of this.timers.values()) clearTimeout(t);
      for (const l of this.listeners) l.res.end();
      this.listeners.clear();
      // with Redis unreachable, QueueEvents.close() and quit() wait for a connection that never
      // comes (this connection retries forever): give them a moment, then drop the sockets
      const closed = Promise.all([...this.events.map((e) => e.close().catch(() => undefined)), ...this.connections.map((c) => c.quit().catch(() => undefined))]);
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 1_000).unref())]);
      for (const c of this.connections) c.disconnect();
    })();
    return this.closing;
  }
}
