import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import type { PendingRevision } from '../../src/model/revision.js';
import type { CommentEvent, PushEvent } from '../../src/providers/types.js';
import { commentEvent, pullRequestEvent, pushEvent } from '../helpers/events.js';
import type { JobQueue, PullJobs, QueuedJob, ReportJobs, SyncJobs } from '../../src/queue/jobs.js';
import type { DeliveryClaim, PendingPush } from '../../src/store/deliveries.js';
import { Intake, type IntakeDeps } from '../../src/server/intake.js';

// Intake with in-memory stand-ins for its Redis-backed delivery store, revision store and
// queues (IntakeDeps): what it claims, enqueues and records, without Redis. The Redis side (the
// claim script, a failed write) is test/integration/delivery-store.test.ts; end to end,
// test/e2e/github-push.test.ts and gitlab-push.test.ts.

type DeliveryStore = IntakeDeps['deliveries'];
type RevisionStore = IntakeDeps['revisions'];

/** Delivery ids as DeliveryStore keeps them: claimed once per provider until forgotten; a new claim records its pending revisions. */
class MemoryDeliveries implements DeliveryStore {
  readonly seen = new Map<string, 'in-flight' | 'done'>();
  readonly pending = new Map<string, PendingRevision[]>();
  readonly connected = true;
  claim(provider: string, deliveryId: string, push?: PendingPush, state: 'in-flight' | 'done' = 'in-flight'): Promise<DeliveryClaim> {
    const key = `${provider}/${deliveryId}`;
    const held = this.seen.get(key);
    if (held) return Promise.resolve(held === 'done' ? 'duplicate' : 'in-flight');
    this.seen.set(key, state);
    for (const t of push?.targets ?? []) this.pending.set(t, [...(this.pending.get(t) ?? []), push!.revision]);
    return Promise.resolve('claimed');
  }
  done(provider: string, deliveryId: string): Promise<void> {
    this.seen.set(`${provider}/${deliveryId}`, 'done');
    return Promise.resolve();
  }
  forget(provider: string, deliveryId: string): Promise<void> {
    this.seen.delete(`${provider}/${deliveryId}`);
    return Promise.resolve();
  }
  isDone(provider: string, deliveryId: string): Promise<boolean> {
    return Promise.resolve(this.seen.get(`${provider}/${deliveryId}`) === 'done');
  }
}

interface Job<Data> {
  name: string;
  data: Data;
  opts: { jobId: string };
}

/** A queue that records what was added, once per job id as BullMQ does; `failNext` makes the next add fail as a Redis error would. */
class MemoryQueue<Jobs> implements JobQueue<Jobs> {
  readonly jobs: Job<Jobs[keyof Jobs]>[] = [];
  failNext?: Error;
  add<N extends keyof Jobs & string>(name: N, data: Jobs[N], opts?: { jobId?: string }): Promise<unknown> {
    return this.addBulk([{ name, data, opts } as QueuedJob<Jobs>]);
  }
  addBulk(jobs: QueuedJob<Jobs>[]): Promise<unknown> {
    const failure = this.failNext;
    this.failNext = undefined;
    if (failure) return Promise.reject(failure);
    for (const j of jobs) {
      const jobId = j.opts?.jobId ?? '';
      if (!this.jobs.some((known) => known.opts.jobId === jobId)) this.jobs.push({ name: j.name, data: j.data as Jobs[keyof Jobs], opts: { jobId } });
    }
    return Promise.resolve(jobs);
  }
}

class MemoryRevisions implements RevisionStore {
  readonly asked: string[][] = [];
  constructor(private readonly read: Record<string, string[]> = {}) {}
  readPaths(targets: readonly string[]): Promise<Map<string, string[]>> {
    this.asked.push([...targets]);
    return Promise.resolve(new Map(targets.map((t) => [t, this.read[t] ?? []])));
  }
}

const { targets } = configSchema.parse({
  providers: { github: { webhookSecret: 's' }, gitlab: { webhookToken: 't' } },
  clusters: { c: { inCluster: true } },
  targets: [
    { name: 'prod', repo: 'github:acme/shop', path: 'overlays/prod', cluster: 'c', namespace: 'shop' },
    { name: 'dev', repo: 'github:acme/shop', path: 'overlays/dev', cluster: 'c', namespace: 'shop-dev', allowForks: true },
    { name: 'quiet', repo: 'github:acme/shop', branch: 'quiet', cluster: 'c', namespace: 'quiet', previews: false },
    { name: 'infra', repo: 'gitlab:platform/infra', cluster: 'c', namespace: 'infra' },
  ],
});

function intake(read: Record<string, string[]> = {}, replicated?: IntakeDeps['replicated']) {
  const deps = {
    deliveries: new MemoryDeliveries(),
    queues: { sync: new MemoryQueue<SyncJobs>(), report: new MemoryQueue<ReportJobs>(), pulls: new MemoryQueue<PullJobs>() },
    revisions: new MemoryRevisions(read),
    targets,
    replicated,
  };
  return { intake: new Intake(deps), ...deps };
}

const push = (over: Partial<PushEvent> = {}) => pushEvent({ changedPaths: ['overlays/prod/kustomization.yaml', 'overlays/dev/kustomization.yaml'], ...over });
const pullRequest = pullRequestEvent;
const comment = (over: Partial<CommentEvent> = {}) => commentEvent({ body: '/deploy prod', ...over });

describe('Intake deduplicates deliveries by id', () => {
  it('enqueues a push delivered twice once: one pending revision and one sync job per target, carrying the commit for its "queued" status', async () => {
    const t = intake();
    expect(await t.intake.acceptPush('d-1', push())).toEqual({ outcome: 'queued', targets: ['prod', 'dev'] });
    expect(await t.intake.acceptPush('d-1', push())).toEqual({ outcome: 'duplicate' });
    expect(t.queues.sync.jobs.map((j) => [j.data.target, j.data.commit])).toEqual([['prod', 'b'.repeat(40)], ['dev', 'b'.repeat(40)]]);
    // no second job: the worker reports "queued" when it takes the sync job
    expect(t.queues.report.jobs).toEqual([]);
    expect([...t.deliveries.pending].map(([target, revisions]) => [target, revisions.map((r) => r.sha)])).toEqual([['prod', ['b'.repeat(40)]], ['dev', ['b'.repeat(40)]]]);
    expect(t.deliveries.seen.get('github/d-1')).toBe('done');
  });

  it('lets one of two concurrent copies of a delivery through', async () => {
    const t = intake();
    const outcomes = await Promise.all([t.intake.acceptPush('d-1', push()), t.intake.acceptPush('d-1', push()), t.intake.acceptPush('d-1', push())]);
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['duplicate', 'duplicate', 'queued']);
    expect(t.queues.sync.jobs).toHaveLength(2);
  });

  it('with replicas to wait for, answers copies that arrive while the first is taken in "in-flight" (it may yet fail), and later ones "duplicate"', async () => {
    const t = intake({}, () => Promise.resolve());
    const outcomes = await Promise.all([t.intake.acceptPush('d-1', push()), t.intake.acceptPush('d-1', push()), t.intake.acceptPush('d-1', push())]);
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['in-flight', 'in-flight', 'queued']);
    expect(await t.intake.acceptPush('d-1', push())).toEqual({ outcome: 'duplicate' });
    expect(t.queues.sync.jobs).toHaveLength(2);
  });

  it('enqueues the same commit once per delivery: two pushes of it are two deliveries', async () => {
    const t = intake();
    await t.intake.acceptPush('d-1', push());
    await t.intake.acceptPush('d-2', push());
    const ids = t.queues.sync.jobs.map((j) => j.opts.jobId);
    expect(new Set(ids).size).toBe(4);
  });

  it('keeps delivery ids of different hosts apart', async () => {
    const t = intake();
    expect((await t.intake.acceptComment('42', comment())).outcome).toBe('queued');
    expect((await t.intake.acceptComment('42', comment({ provider: 'gitlab', repo: 'platform/infra', body: '/sync' }))).outcome).toBe('queued');
    expect(t.queues.pulls.jobs.map((j) => j.name)).toEqual(['command', 'command']);
  });

  it.each([
    { kind: 'pull request', accept: (i: Intake) => i.acceptPullRequest('d-pr', pullRequest()), jobs: ['preview', 'preview'] },
    { kind: 'closed pull request', accept: (i: Intake) => i.acceptPullRequest('d-pr', pullRequest({ action: 'closed' })), jobs: ['closed'] },
    { kind: 'comment command', accept: (i: Intake) => i.acceptComment('d-c', comment()), jobs: ['command'] },
  ])('enqueues a $kind delivered twice once', async ({ accept, jobs }) => {
    const t = intake();
    expect((await accept(t.intake)).outcome).toBe('queued');
    expect(await accept(t.intake)).toEqual({ outcome: 'duplicate' });
    expect(t.queues.pulls.jobs.map((j) => j.name)).toEqual(jobs);
  });

  it('remembers an ignored delivery too, so its redelivery does no work', async () => {
    const t = intake();
    expect(await t.intake.acceptPush('d-1', push({ ref: 'refs/tags/v1' }))).toEqual({ outcome: 'ignored', reason: 'no target follows this branch and path' });
    expect(await t.intake.acceptPush('d-1', push({ ref: 'refs/tags/v1' }))).toEqual({ outcome: 'duplicate' });
  });

  it('forgets a delivery whose work failed, so the redelivery is taken in; its jobs keep their ids', async () => {
    const t = intake();
    t.queues.sync.failNext = new Error('READONLY You cannot write against a read only replica');
    await expect(t.intake.acceptPush('d-1', push())).rejects.toThrow(/READONLY/);
    expect(t.deliveries.seen.has('github/d-1')).toBe(false);
    expect(t.queues.sync.jobs).toEqual([]);

    expect((await t.intake.acceptPush('d-1', push())).outcome).toBe('queued');
    expect(t.queues.sync.jobs.map((j) => j.opts.jobId)).toEqual(['push.github.d-1.prod', 'push.github.d-1.dev']);
  });

  it('with replicas to wait for, refuses a delivery whose claim the server answering after WAIT does not hold (a failover lost it)', async () => {
    let failover = true;
    const t = intake({}, () => {
      // WAIT answered by a promoted replica that never had the claim
      if (failover) t.deliveries.seen.clear();
      return Promise.resolve();
    });
    await expect(t.intake.acceptPush('d-1', push())).rejects.toThrow(/lost in a Redis failover/);
    failover = false;
    expect((await t.intake.acceptPush('d-1', push())).outcome).toBe('queued');
    expect(t.deliveries.seen.get('github/d-1')).toBe('done');
  });
});

describe('Intake routes what it takes in', () => {
  it('looks up read paths of the candidate targets only, and a change in a base reaches the target that reads it', async () => {
    const t = intake({ prod: ['base'] });
    expect(await t.intake.acceptPush('d-1', push({ changedPaths: ['base/deployment.yaml'] }))).toEqual({ outcome: 'queued', targets: ['prod'] });
    expect(t.revisions.asked).toEqual([['prod', 'dev']]);
  });

  it('does not look up read paths when the push reaches every candidate by its own path', async () => {
    const t = intake();
    expect(await t.intake.acceptPush('d-1', push())).toEqual({ outcome: 'queued', targets: ['prod', 'dev'] });
    expect(t.revisions.asked).toEqual([]);
  });

  it('does not look up read paths when the host did not list the changes: every candidate is reached', async () => {
    const t = intake();
    expect(await t.intake.acceptPush('d-1', push({ changedPaths: undefined }))).toEqual({ outcome: 'queued', targets: ['prod', 'dev'] });
    expect(t.revisions.asked).toEqual([]);
  });

  it('says a deleted branch is why a push was ignored', async () => {
    const t = intake();
    expect(await t.intake.acceptPush('d-1', push({ deleted: true }))).toEqual({ outcome: 'ignored', reason: 'branch deleted' });
    expect(t.queues.sync.jobs).toEqual([]);
  });

  it.each([
    { name: 'a fork previews only on targets that allow forks', pr: pullRequest({ fork: true }), expected: { outcome: 'queued', targets: ['dev'] } },
    { name: 'previews off', pr: pullRequest({ base: { ref: 'quiet' } }), expected: { outcome: 'ignored', reason: 'previews are off' } },
    { name: 'previews off for a fork', pr: pullRequest({ base: { ref: 'quiet' }, fork: true }), expected: { outcome: 'ignored', reason: 'previews are off for pull requests from forks' } },
    { name: 'a closed request releases its locks even where previews are off', pr: pullRequest({ base: { ref: 'quiet' }, action: 'merged' }), expected: { outcome: 'queued', targets: ['quiet'] } },
    { name: 'a base no target follows', pr: pullRequest({ base: { ref: 'release' } }), expected: { outcome: 'ignored', reason: 'no target follows release' } },
  ])('pull request: $name', async ({ pr, expected }) => {
    expect(await intake().intake.acceptPullRequest('d-pr', pr)).toEqual(expected);
  });

  it('enqueues only comments that are commands', async () => {
    const t = intake();
    expect(await t.intake.acceptComment('d-1', comment({ body: 'looks good to me' }))).toEqual({ outcome: 'ignored', reason: 'not a command' });
    expect(t.queues.pulls.jobs).toEqual([]);
  });
});
