import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobId, queueNames, type ReportJobData, type SyncJobData } from '../../src/queue/jobs.js';
import { statusContext } from '../../src/report/status.js';
import { keys } from '../../src/store/keys.js';
import { RevisionStore } from '../../src/store/revisions.js';
import { DriftlessHarness, pushPayload } from '../helpers/driftless.js';
import { cm } from '../helpers/manifests.js';

// A run records its outcome (the revision settled), queues its terminal status, then removes the
// revision from pending. A worker killed, or a Redis failover, between the first two leaves the
// revision settled, still pending, and without a terminal status. The next sync of the target
// finds it so and queues that status again: the same job, so a status that did go out is not
// posted twice while the report queue holds its job (an hour), and one that did not goes out now.
// The crash is reproduced by its traces in Redis: the pending entry back, the report job gone.

describe('a settled revision still pending', () => {
  let h: DriftlessHarness;
  let namespace: string;
  let redis: Redis;
  let reports: Queue<ReportJobData>;
  let syncs: Queue<SyncJobData>;
  let revisions: RevisionStore;
  beforeAll(async () => {
    // no scheduled reconcile within the test
    ({ h, namespace } = await DriftlessHarness.startInNewNamespace('again', { targetYaml: '    reconcile: { interval: 24h }' }));
    redis = new Redis(h.config.redis.url, { maxRetriesPerRequest: null });
    reports = new Queue<ReportJobData>(queueNames.report, { connection: redis, prefix: h.config.redis.prefix });
    syncs = new Queue<SyncJobData>(queueNames.sync, { connection: redis, prefix: h.config.redis.prefix });
    revisions = new RevisionStore(redis, keys(h.config.redis.prefix));
  });
  afterAll(async () => {
    await reports?.close();
    await syncs?.close();
    await redis?.quit();
    await h?.close();
  });

  const terminal = (sha: string) => h.statuses(sha).filter((s) => s.state !== 'pending').map((s) => `${s.state} ${s.description}`);

  /**
   * Removes a report job once its worker has let go of it. The stand-in sees the status as soon as
   * it is posted, while the worker still holds the job's lock until it records the completion, and
   * BullMQ refuses to remove a locked job.
   */
  async function removeReportJob(id: string): Promise<void> {
    await expect.poll(async () => (await reports.getJob(id))?.finishedOn !== undefined, { timeout: 30_000, interval: 50 }).toBe(true);
    await (await reports.getJob(id))!.remove();
  }

  /** Deploys a commit through a push under `deliveryId`, waits for its terminal status, and leaves the pending entry a crash would leave. */
  async function deployThenCrash(value: string, deliveryId: string): Promise<string> {
    const { sha, res } = await h.commitAndPush(`value ${value}`, { 'deploy/app.yaml': cm('app', value) }, { deliveryId });
    expect(res.status).toBe(202);
    await expect.poll(() => terminal(sha), { timeout: 30_000, interval: 100 }).toEqual([expect.stringMatching(/^success deployed/)]);
    await revisions.addPending([namespace], { sha, receivedAt: Date.now(), trigger: { kind: 'push', deliveryId, actor: 'octocat' } });
    return sha;
  }

  /** A new delivery of the same commit (a replay, or any later push job), and its sync job finished. */
  async function syncAgain(sha: string): Promise<void> {
    const deliveryId = randomUUID();
    const before = await h.repo.head();
    const res = await h.push(pushPayload({ repo: h.repoName, cloneUrl: 'https://example.invalid/x.git', before, after: sha, paths: ['deploy/app.yaml'] }), { deliveryId });
    expect(res.status).toBe(202);
    const id = jobId('push', 'github', deliveryId, namespace);
    await expect.poll(async () => (await syncs.getJob(id))?.finishedOn !== undefined, { timeout: 30_000, interval: 100 }).toBe(true);
  }

  it('gets the terminal status it never got, the same text as the run gave it', async () => {
    const deliveryId = randomUUID();
    const sha = await deployThenCrash('1', deliveryId);
    const first = terminal(sha);
    // the status job was never queued: the crash came first
    await removeReportJob(jobId('status', statusContext(namespace), sha, 'terminal', deliveryId));
    await syncAgain(sha);
    await expect.poll(() => terminal(sha), { timeout: 30_000, interval: 100 }).toEqual([...first, ...first]);
    // and nothing is left pending
    expect((await revisions.pending(namespace)).map((p) => p.sha)).not.toContain(sha);
  });

  it('is not reported twice while the report queue still holds the status that went out', async () => {
    const deliveryId = randomUUID();
    const sha = await deployThenCrash('2', deliveryId);
    const first = terminal(sha);
    await syncAgain(sha);
    // the report queue drains within this; a second status would have been posted by now
    await new Promise((r) => setTimeout(r, 1_500));
    expect(terminal(sha)).toEqual(first);
    expect((await revisions.pending(namespace)).map((p) => p.sha)).not.toContain(sha);
  });

  it('a settled commit\'s sync job run again after a failover lost its completion, its "queued" job and its rank posts no "queued" over the terminal status', async () => {
    const deliveryId = randomUUID();
    const { sha, res } = await h.commitAndPush('value 3', { 'deploy/app.yaml': cm('app', '3') }, { deliveryId });
    expect(res.status).toBe(202);
    await expect.poll(() => terminal(sha), { timeout: 30_000, interval: 100 }).toEqual([expect.stringMatching(/^success deployed/)]);
    const posted = h.statuses(sha).length;
    // what the promoted replica lacks: the finished sync job, its "queued" report job, the rank of the terminal status
    const id = jobId('push', 'github', deliveryId, namespace);
    const job = (await syncs.getJob(id))!;
    await expect.poll(async () => (await syncs.getJob(id))?.finishedOn !== undefined, { timeout: 30_000, interval: 100 }).toBe(true);
    await job.remove();
    await removeReportJob(jobId('status', statusContext(namespace), sha, 'queued', deliveryId));
    await redis.del(keys(h.config.redis.prefix).statusRank(statusContext(namespace), sha));
    // and another push pending, so the job does not end at "nothing pending"
    const next = await h.repo.commit('value 4', { 'deploy/app.yaml': cm('app', '4') });
    await revisions.addPending([namespace], { sha: next, receivedAt: Date.now(), trigger: { kind: 'push', deliveryId: randomUUID(), actor: 'octocat' } });
    await syncs.add('sync', job.data, { jobId: id });
    await expect.poll(async () => (await syncs.getJob(id))?.finishedOn !== undefined, { timeout: 30_000, interval: 100 }).toBe(true);
    await expect.poll(() => terminal(next), { timeout: 30_000, interval: 100 }).toEqual([expect.stringMatching(/^success deployed/)]);
    expect(h.statuses(sha)).toHaveLength(posted);
    expect(h.statuses(sha)[0]?.state).toBe('success');
  });
});
