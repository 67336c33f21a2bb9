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
/** How long the queues are still followed after the last browser left. */
const lingerMs = 60_000;
/** How far back in the events' streams following starts. */
const replayMs = 2_000;

/**
 * Stops reading the queues' events. With Redis unreachable, QueueEvents.close() and quit() wait
 * for a connection that never comes (these connections retry forever): give them a moment, then
 * drop the sockets.
 */
async function stop(following: { connections: Redis[]; events: QueueEvents[] }): Promise<void> {
  const closed = Promise.all([...following.events.map((e) => e.close().catch(() => undefined)), ...following.connections.map((c) => c.quit().catch(() => undefined))]);
  await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 1_000).unref())]);
  for (const c of following.connections) c.disconnect();
}

/**
 * While a browser listens, follows running syncs through the queues' events (BullMQ QueueEvents,
 * Redis streams, so every web replica sees every worker): a sync job added or becoming active, each commit status a sync posts
 * (queued → applying → waiting for health → its end), a sync job ending. The newest status per
 * target is kept in memory; each change re-renders the target's fragments and sends them to
 * every browser that may see it, as server-sent events.
 */
export class LiveUpdates {
  private readonly stages = new Map<string, LiveStage>();
  private readonly listeners = new Set<Listener>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private following: { connections: Redis[]; events: QueueEvents[] } | undefined;
  private idle: NodeJS.Timeout | undefined;
  private readonly keepAlive: NodeJS.Timeout;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: LiveUpdatesOptions) {
    this.keepAlive = setInterval(() => {
      for (const l of this.listeners) l.res.write(': keep-alive\n\n');
    }, keepAliveMs);
    this.keepAlive.unref();
  }

  /**
   * Starts reading the queues' events when the first browser listens: with nobody watching, the
   * web neither reads every event of every delivery nor fetches every status job.
   */
  private follow(): void {
    clearTimeout(this.idle);
    this.idle = undefined;
    if (this.following || this.closing) return;
    const { options } = this;
    // a little of the past too, so a change made while the connections open is not missed
    const lastEventId = `${Date.now() - replayMs}-0`;
    const following = { connections: [] as Redis[], events: [] as QueueEvents[] };
    const open = (name: string) => {
      const connection = options.connect();
      connection.on('error', (err: Error) => options.log.debug({ err: err.message }, 'live updates: Redis connection error'));
      following.connections.push(connection);
      const events = new QueueEvents(name, { connection, prefix: options.prefix, lastEventId });
      events.on('error', (err) => options.log.debug({ queue: name, err: err.message }, 'live updates: queue events error'));
      following.events.push(events);
      return events;
    };
    const sync = open(queueNames.sync);
    sync.on('added', ({ jobId }) => void this.syncJob(jobId, 'added'));
    sync.on('active', ({ jobId }) => void this.syncJob(jobId, 'active'));
    sync.on('completed', ({ jobId }) => void this.syncJob(jobId, 'ended'));
    sync.on('failed', ({ jobId }) => void this.syncJob(jobId, 'ended'));
    open(queueNames.report).on('added', ({ jobId, name }) => {
      if (name === 'status') void this.statusJob(jobId);
    });
    this.following = following;
  }

  /** Stops reading the queues a while after the last browser left (a page change reconnects at once). */
  private unfollowLater(): void {
    if (this.listeners.size > 0 || !this.following || this.idle) return;
    this.idle = setTimeout(() => {
      this.idle = undefined;
      const following = this.following;
      this.following = undefined;
      // what nobody follows goes stale: forget it rather than show it later
      this.stages.clear();
      if (following) void stop(following);
    }, lingerMs);
    this.idle.unref();
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
    this.follow();
    res.on('close', () => {
      this.listeners.delete(listener);
      this.unfollowLater();
    });
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

  private async syncJob(jobId: string, phase: 'added' | 'active' | 'ended'): Promise<void> {
    const job = await this.options.sync.getJob(jobId).catch(() => undefined);
    if (!job) return;
    const { target, revision, commit } = job.data;
    const known = this.stages.get(target);
    // a push's "queued" status is posted by the worker once it takes the job: show it from the job
    if (phase === 'added' && commit && known?.state !== 'pending') {
      this.stages.set(target, { target, sha: commit, state: 'pending', description: 'queued', at: Date.now() });
    }
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
      clearTimeout(this.idle);
      for (const t of this.timers.values()) clearTimeout(t);
      for (const l of this.listeners) l.res.end();
      this.listeners.clear();
      const following = this.following;
      this.following = undefined;
      if (following) await stop(following);
    })();
    return this.closing;
  }
}
