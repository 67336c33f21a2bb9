import { randomBytes, randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { queueNames, type ReportJobData } from '../../src/queue/jobs.js';
import { reportJobOptions } from '../../src/queue/queues.js';
import { deploymentJob } from '../../src/report/deployment.js';
import { statusJob, type StatusPhase } from '../../src/report/status.js';
import type { DeploymentState } from '../../src/providers/types.js';
import { createRuntime } from '../../src/runtime.js';
import { createReportWorker } from '../../src/workers/report.js';
import type { StatusState } from '../../src/model/status.js';
import { DriftlessHarness } from '../helpers/driftless.js';

// GitHub takes about one write a second per client, so a fleet pushed at once leaves the report
// queue with a backlog. The report worker is started only once the jobs of several commits are
// queued, in the order their syncs queue them: what a worker finds after such a push. Terminal
// statuses go out first, then deployment records in their order, then progress; a progress status
// whose commit has settled, or moved on to a later phase, is skipped; a commit still running keeps
// its latest progress. One deployment per commit, however many workers take its states at once.

describe('commit statuses and deployments behind a backlog', () => {
  let h: DriftlessHarness;
  let namespace: string;
  let redis: Redis;
  let reports: Queue<ReportJobData>;
  beforeAll(async () => {
    ({ h, namespace } = await DriftlessHarness.startInNewNamespace('backlog', { workers: false, targetYaml: '    reconcile: { interval: 24h }' }));
    redis = new Redis(h.config.redis.url, { maxRetriesPerRequest: null });
    reports = new Queue<ReportJobData>(queueNames.report, { connection: redis, prefix: h.config.redis.prefix });
  });
  afterAll(async () => {
    await reports?.close();
    await redis?.quit();
    await h?.close();
  });

  const sha = () => randomBytes(20).toString('hex');

  /** Runs the report worker with `concurrency` until the report queue is empty. */
  async function drain(concurrency: number): Promise<void> {
    const rt = createRuntime(h.config, createLogger({ level: 'debug', destination: h.logs }), 'worker');
    const worker = createReportWorker(rt, { concurrency });
    try {
      await expect.poll(() => reports.getJobCounts('wait', 'prioritized', 'active', 'delayed'), { timeout: 30_000, interval: 100 }).toEqual({ wait: 0, prioritized: 0, active: 0, delayed: 0 });
      expect(await reports.getJobCounts('failed')).toEqual({ failed: 0 });
    } finally {
      await worker.close();
      await rt.close();
    }
  }

  /** Each deployment of `commit`, as its states oldest first ("inactive" is GitHub's, for an environment's deployments before a later success). */
  const deployments = (commit: string) =>
    h.github
      .deployments(h.repoName)
      .filter((d) => d.sha === commit)
      .map((d) => h.github.deploymentStatuses(h.repoName, d.id).map((s) => s.state).filter((state) => state !== 'inactive').reverse());

  it('posts every settled commit\'s terminal status first and skips the progress it made moot', async () => {
    const settled = [sha(), sha(), sha()];
    const running = sha();
    const trigger = Object.fromEntries([...settled, running].map((s) => [s, { deliveryId: randomUUID() }]));
    const add = async (commit: string, phase: StatusPhase, state: StatusState, description: string, progress = 0) => {
      const j = statusJob({ target: namespace, repo: h.repoName, sha: commit, trigger: trigger[commit]! }, phase, state, description, progress);
      await reports.add(j.name, j.data, { ...reportJobOptions, ...j.opts });
    };
    const record = async (commit: string, state: DeploymentState) => {
      const j = deploymentJob({ target: namespace, repo: h.repoName, sha: commit, ref: 'main', trigger: trigger[commit]! }, state);
      await reports.add(j.name, j.data, { ...reportJobOptions, ...j.opts });
    };
    // "queued" for every commit when its job is taken, then each sync's stages in turn (as
    // SyncReporter queues them); the last one still waits
    for (const commit of [...settled, running]) await add(commit, 'queued', 'pending', 'queued');
    for (const commit of [...settled, running]) {
      await record(commit, 'queued');
      await add(commit, 'applying', 'pending', 'applying');
      await record(commit, 'in_progress');
      if (commit === running) {
        await add(commit, 'waiting', 'pending', '0/2 healthy', 1 / 3);
        continue;
      }
      await add(commit, 'waiting', 'pending', '1/2 healthy', 0.5);
      await add(commit, 'terminal', 'success', `deployed ${commit.slice(0, 7)}`);
      await record(commit, 'success');
    }

    // one job at a time: the order BullMQ hands jobs out in, which a busy worker sees at every free slot
    await drain(1);

    for (const commit of settled) expect(h.statuses(commit).map((s) => `${s.state} ${s.description}`)).toEqual([`success deployed ${commit.slice(0, 7)}`]);
    // the running commit's latest phase, not the phases before it
    expect(h.statuses(running).map((s) => `${s.state} ${s.description}`)).toEqual(['pending 0/2 healthy']);
    // and the terminal statuses before it: GitHub numbers statuses in the order they were created
    const idOf = (commit: string) => h.github.statuses(h.repoName, commit)[0]!.id;
    expect(Math.max(...settled.map(idOf))).toBeLessThan(idOf(running));

    // one deployment per commit, its states in order, all recorded after the terminal statuses
    for (const commit of settled) expect(deployments(commit)).toEqual([['queued', 'in_progress', 'success']]);
    expect(deployments(running)).toEqual([['queued', 'in_progress']]);
    const firstDeployment = Math.min(...h.github.deployments(h.repoName).map((d) => d.id));
    expect(Math.max(...settled.map(idOf))).toBeLessThan(firstDeployment);
  });

  it('records one deployment of a commit whose states are taken at once by several workers', async () => {
    const commits = [sha(), sha()];
    for (const commit of commits) {
      const trigger = { deliveryId: randomUUID() };
      for (const state of ['queued', 'in_progress', 'success'] as const) {
        const j = deploymentJob({ target: namespace, repo: h.repoName, sha: commit, ref: 'main', trigger }, state);
        await reports.add(j.name, j.data, { ...reportJobOptions, ...j.opts });
      }
    }
    // all six jobs active together: without the target's deployment lock each would find no
    // deployment of its commit and create one
    await drain(8);
    for (const commit of commits) {
      const [only, ...more] = deployments(commit);
      expect(more).toEqual([]);
      expect(only?.at(-1)).toBe('success');
    }
  });
});
