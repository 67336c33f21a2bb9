import type { TargetConfig } from '../config/schema.js';
import { parseComment } from '../commands/parser.js';
import { candidatesForPush, targetsForPullRequest, targetsForPush, targetsOfRepo, touches } from '../events/route.js';
import type { CommentEvent, PullRequestEvent, PushEvent } from '../providers/types.js';
import type { Trigger } from '../model/trigger.js';
import { jobId, type JobQueues } from '../queue/jobs.js';
import type { DeliveryStore, PendingPush } from '../store/deliveries.js';
import type { RevisionStore } from '../store/revisions.js';

/** What Intake writes to: the Redis-backed stores and queues in production, in-memory ones in unit tests. */
export interface IntakeDeps {
  deliveries: Pick<DeliveryStore, 'claim' | 'done' | 'forget' | 'connected' | 'isDone'>;
  /** BullMQ's queues in production; unit tests pass in-memory ones. */
  queues: JobQueues;
  revisions: Pick<RevisionStore, 'readPaths'>;
  targets: readonly TargetConfig[];
  /**
   * Resolves once a delivery's writes are safe from the loss of the Redis primary (replicas
   * acknowledged them, Redis WAIT); rejects otherwise, and the delivery is answered 503. Absent:
   * nothing to wait for, and the delivery's "done" is pipelined with its work.
   */
  replicated?: () => Promise<void>;
}

export type IntakeOutcome =
  | { outcome: 'queued'; targets: string[] }
  | { outcome: 'duplicate' }
  /** A copy of a delivery still being taken in (its intake may yet fail): the sender should redeliver it shortly. */
  | { outcome: 'in-flight' }
  | { outcome: 'ignored'; reason: string };

/**
 * Turns verified deliveries into durable work, all in Redis before the webhook is answered:
 * for a push, the pending revision per target (in the script that claims the delivery) and a
 * sync job per target, which reports the commit's "queued" status from the worker; for a pull
 * request, preview jobs (or, closed, a job that releases its locks); for a comment that is a
 * command, a command job. Deliveries are deduplicated by their id.
 */
export class Intake {
  constructor(private readonly deps: IntakeDeps) {}

  async acceptPush(deliveryId: string, push: PushEvent): Promise<IntakeOutcome> {
    const { queues } = this.deps;
    const targets = await this.routePush(push);
    if (targets.length === 0) {
      const ignored: IntakeOutcome = { outcome: 'ignored', reason: push.deleted ? 'branch deleted' : 'no target follows this branch and path' };
      return this.once(push.provider, deliveryId, () => Promise.resolve(ignored));
    }
    const trigger: Trigger = { kind: 'push', deliveryId, actor: push.actor };
    const pending: PendingPush = { targets: targets.map((t) => t.name), revision: { sha: push.after, receivedAt: Date.now(), trigger } };
    const jobs = targets.map((t) => ({ name: 'sync' as const, data: { target: t.name, trigger, commit: push.after }, opts: { jobId: jobId('push', push.provider, deliveryId, t.name) } }));
    const queued: IntakeOutcome = { outcome: 'queued', targets: targets.map((t) => t.name) };
    // one target (the usual push) is one add: addBulk builds an ioredis pipeline, whose constructor
    // copies every script BullMQ defined on the connection, the web's largest cost per delivery
    const [only] = jobs;
    const addJobs = () => (jobs.length === 1 && only ? queues.sync.add(only.name, only.data, only.opts) : queues.sync.addBulk(jobs));
    if (this.deps.replicated) {
      const work = async () => {
        await addJobs();
        return queued;
      };
      return this.once(push.provider, deliveryId, work, pending);
    }
    return this.claimWithJobs(push.provider, deliveryId, pending, addJobs, queued);
  }

  /**
   * A push in one round trip: the claim (which writes the pending revisions and remembers the
   * delivery as done) and the sync jobs are sent together, the claim first. The jobs are
   * idempotent by id, so a duplicate's add is a no-op (or, once BullMQ removed the completed job,
   * a sync that finds its revision settled and ends before the lock). A failed write forgets the
   * delivery, so its redelivery is taken in; pending revisions written already are kept, harmless
   * (the same sha, the same trigger).
   */
  private async claimWithJobs(provider: string, deliveryId: string, pending: PendingPush, addJobs: () => Promise<unknown>, queued: IntakeOutcome): Promise<IntakeOutcome> {
    const { deliveries } = this.deps;
    // the claim is sent first: the pending revisions exist before a worker can take a job
    const claimed = deliveries.claim(provider, deliveryId, pending, 'done');
    // BullMQ waits for a connection that is down rather than fail, while the claim fails at once
    // (no offline queue): without a connection only the claim is sent, and the sender gets its 503
    const added = deliveries.connected ? addJobs() : undefined;
    // awaited below, or not needed once the claim decided
    added?.catch(() => undefined);
    try {
      const claim = await claimed;
      if (claim !== 'claimed') return { outcome: claim };
      await (added ?? addJobs());
      return queued;
    } catch (err) {
      await deliveries.forget(provider, deliveryId).catch(() => undefined);
      throw err;
    }
  }

  /**
   * The targets a push deploys. What a target's last render read outside its path (a kustomize
   * base) counts as its path too; it is looked up only for candidates the push misses by path.
   */
  private async routePush(push: PushEvent): Promise<TargetConfig[]> {
    const candidates = candidatesForPush(this.deps.targets, push);
    const missed = candidates.filter((t) => !touches(t.path, push.changedPaths));
    const readPaths = missed.length > 0 ? await this.deps.revisions.readPaths(missed.map((t) => t.name)) : undefined;
    return targetsForPush(candidates, push, readPaths);
  }

  acceptPullRequest(deliveryId: string, event: PullRequestEvent): Promise<IntakeOutcome> {
    return this.once(event.provider, deliveryId, async () => {
      const targets = targetsForPullRequest(this.deps.targets, event);
      if (targets.length === 0) return { outcome: 'ignored', reason: `no target follows ${event.base.ref}` };
      if (event.action === 'closed' || event.action === 'merged') {
        await this.deps.queues.pulls.add('closed', { event, deliveryId }, { jobId: jobId('closed', event.provider, deliveryId) });
        return { outcome: 'queued', targets: targets.map((t) => t.name) };
      }
      const previewed = targets.filter((t) => t.previews && (!event.fork || t.allowForks));
      if (previewed.length === 0) return { outcome: 'ignored', reason: event.fork ? 'previews are off for pull requests from forks' : 'previews are off' };
      const pr = { provider: event.provider, repo: event.repo, number: event.number };
      await this.deps.queues.pulls.addBulk(
        previewed.map((t) => ({ name: 'preview', data: { target: t.name, pr, sha: event.head.sha, deliveryId }, opts: { jobId: jobId('preview', event.provider, deliveryId, t.name) } })),
      );
      return { outcome: 'queued', targets: previewed.map((t) => t.name) };
    });
  }

  acceptComment(deliveryId: string, comment: CommentEvent): Promise<IntakeOutcome> {
    return this.once(comment.provider, deliveryId, async () => {
      const targets = targetsOfRepo(this.deps.targets, comment);
      if (targets.length === 0) return { outcome: 'ignored', reason: 'no target deploys this repository' };
      // parsing is cheap and pure: only comments that are (or try to be) commands become jobs
      if (parseComment(comment.body, { targets: targets.map((t) => t.name) }).kind === 'ignore') return { outcome: 'ignored', reason: 'not a command' };
      await this.deps.queues.pulls.add('command', { comment, deliveryId }, { jobId: jobId('command', comment.provider, deliveryId) });
      return { outcome: 'queued', targets: targets.map((t) => t.name) };
    });
  }

  /**
   * Runs `work` once per delivery id; a redelivery is answered "duplicate", or "in-flight" while
   * the first copy is still being taken in. A push's pending revisions are written by the claim
   * itself, so a copy writes nothing.
   */
  private async once(provider: string, deliveryId: string, work: () => Promise<IntakeOutcome>, pending?: PendingPush): Promise<IntakeOutcome> {
    const { deliveries } = this.deps;
    const claim = await deliveries.claim(provider, deliveryId, pending);
    if (claim !== 'claimed') return { outcome: claim };
    try {
      if (this.deps.replicated) {
        // the work before its "done": replication keeps the order, so a promoted replica that
        // has the "done" has the work too, and a redelivery answered "duplicate" lost nothing
        const outcome = await work();
        await deliveries.done(provider, deliveryId);
        await this.deps.replicated();
        // a failover between the writes and WAIT sends WAIT to the promoted replica, which may never have had them
        if (!(await deliveries.isDone(provider, deliveryId))) throw new Error('the delivery was lost in a Redis failover; it is taken in again when redelivered');
        return outcome;
      }
      // issued together (and pipelined); a failed `work` forgets the delivery after this one is remembered
      const [outcome] = await Promise.all([work(), deliveries.done(provider, deliveryId)]);
      return outcome;
    } catch (err) {
      await deliveries.forget(provider, deliveryId).catch(() => undefined);
      throw err;
    }
  }
}
