// Row 2: push → applied for a 50-object repository. Each iteration is a new commit changing all
// 50 objects. Driftless: from the webhook POST to the watch event of the last object carrying
// the commit's revision. Baseline, what a CI job does: `git clone --depth 1` over the same git
// server and token, then `kubectl apply --server-side --prune --applyset`, timed the same way.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gitClientEnv } from '../test/helpers/git.js';
import type { BenchContext } from './lib/context.js';
import { targets, type DeployFixture } from './lib/fixture.js';
import { asFiles, objectSet } from './lib/manifests.js';
import { run } from './lib/proc.js';
import { settle } from './lib/settle.js';
import { median } from './lib/stats.js';

export const appObjects = 50;
const dlNamespace = targets.app.namespace;
const ciNamespace = 'bench-ci';
const ciApplySet = 'bench-ci-set';

export interface PushToAppliedResult {
  /** POST → last object applied, per measured iteration, ms. */
  driftlessMs: number[];
  /** POST → sync recorded in history (incl. prune, health wait and bookkeeping), ms. */
  driftlessDoneMs: number[];
  /** POST → the pipeline starts (intake, queue, lock, pending revisions, mirror fetch, newest-wins choice), ms. */
  pickupMs: number[];
  /** clone start → last object applied, ms. */
  baselineMs: number[];
  /** clone start → kubectl exited, ms. */
  baselineExitMs: number[];
  cloneMs: number[];
  driftlessP50: number;
  baselineP50: number;
  /** Stage timings of the measured syncs (median per stage), ms. */
  stages: Record<string, number>;
}

/** Empties both namespaces of earlier runs' objects, so the warm-up iteration creates them. */
export async function prepareApp(ctx: BenchContext): Promise<void> {
  for (const ns of [dlNamespace, ciNamespace]) await ctx.admin.ensureNamespace(ns);
  await ctx.admin.deleteSets([dlNamespace, ciNamespace], ['app']);
  await ctx.admin.deleteSecret(dlNamespace, `driftless-${targets.app.name}`);
  await ctx.admin.deleteSecret(ciNamespace, ciApplySet);
}

/** Commits a new revision of all 50 objects, pushes it, and waits until every object carries it. */
export async function deployApp(ctx: BenchContext, fx: DeployFixture, rev: string): Promise<{ sha: string; appliedMs: number; doneMs: number; pickupMs: number; stages: Record<string, number> }> {
  const pushed = await fx.commitAndPush('app', `rev ${rev}`, asFiles(objectSet({ count: appObjects, set: 'app', rev, dir: 'deploy' })));
  const appliedAt = await fx.watch.waitFor([dlNamespace], rev, appObjects, 60_000);
  const entry = await fx.finished('app', pushed.sha, pushed.postedWall, 120_000);
  return { sha: pushed.sha, appliedMs: appliedAt - pushed.postedAt, doneMs: entry.finishedAt - pushed.postedWall, pickupMs: entry.startedAt - pushed.postedWall, stages: entry.timings };
}

/** The CI job: shallow clone of the branch, then kubectl's server-side apply with ApplySet prune. */
async function ciJob(ctx: BenchContext, fx: DeployFixture, rev: string): Promise<{ appliedMs: number; exitMs: number; cloneMs: number }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'driftless-bench-ci-'));
  try {
    const started = performance.now();
    await run('git', ['clone', '--quiet', '--depth', '1', '--branch', 'main', fx.cloneUrls.get('app')!, dir], { env: gitClientEnv({ token: fx.token }) });
    const cloned = performance.now();
    await run(ctx.env.kubectl, ['apply', '--server-side', '--prune', `--applyset=${ciApplySet}`, '-n', ciNamespace, '-f', path.join(dir, targets.app.path)], {
      env: { ...process.env, KUBECONFIG: ctx.env.kubeconfig, KUBECTL_APPLYSET: 'true' },
    });
    const exited = performance.now();
    const appliedAt = await fx.watch.waitFor([ciNamespace], rev, appObjects, 60_000);
    return { appliedMs: appliedAt - started, exitMs: exited - started, cloneMs: cloned - started };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function benchPushToApplied(ctx: BenchContext, fx: DeployFixture): Promise<PushToAppliedResult> {
  await prepareApp(ctx);
  const iterations = ctx.quick ? 2 : 5;
  const r: PushToAppliedResult = { driftlessMs: [], driftlessDoneMs: [], pickupMs: [], baselineMs: [], baselineExitMs: [], cloneMs: [], driftlessP50: 0, baselineP50: 0, stages: {} };
  const stageRuns: Record<string, number[]> = {};
  // iteration 0 creates the objects (and Driftless's git mirror): a warm-up, not measured
  for (let i = 0; i <= iterations; i++) {
    const rev = `app-${ctx.runId}-${i}`;
    const d = await deployApp(ctx, fx, rev);
    const b = await ciJob(ctx, fx, rev);
    ctx.progress(`push→applied ${i === 0 ? 'warm-up' : `${i}/${iterations}`}: driftless ${Math.round(d.appliedMs)} ms (pipeline started at ${d.pickupMs} ms, stages ${JSON.stringify(d.stages)}, recorded at ${Math.round(d.doneMs)} ms), CI job ${Math.round(b.appliedMs)} ms (clone ${Math.round(b.cloneMs)} ms, kubectl exit ${Math.round(b.exitMs)} ms)`);
    if (i === 0) {
      await settle(ctx, [ciNamespace], 'app');
      continue;
    }
    r.driftlessMs.push(d.appliedMs);
    r.driftlessDoneMs.push(d.doneMs);
    r.pickupMs.push(d.pickupMs);
    r.baselineMs.push(b.appliedMs);
    r.baselineExitMs.push(b.exitMs);
    r.cloneMs.push(b.cloneMs);
    for (const [stage, ms] of Object.entries(d.stages)) (stageRuns[stage] ??= []).push(ms);
  }
  r.driftlessP50 = median(r.driftlessMs);
  r.baselineP50 = median(r.baselineMs);
  r.stages = Object.fromEntries(Object.entries(stageRuns).map(([s, v]) => [s, median(v)]));
  return r;
}
