// Row 8: 200 targets of 20 objects, deployed and in sync, reconciled on their schedule. Over whole
// reconcile intervals the API server's requests (from its /metrics, less the environment's own
// background rate measured before the fleet started) and the worker's CPU time are counted, per
// round and per target. The interval is shortened to 30 s so that the row fits in `make bench`:
// a round is the same work at any interval, and the CPU share is given for the 1-minute interval
// the issue names. Baseline: `kubectl diff --server-side` of the same folders against the same
// objects, a sample of the targets one after the other, counted the same way.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { kubectlEnv } from './first-apply.js';
import type { BenchContext } from './lib/context.js';
import { FleetFixture } from './lib/fleet.js';
import { apiMetrics, apiWindow, kindNames } from './lib/kube.js';
import { asFiles, objectSet } from './lib/manifests.js';
import { cpuMs, run } from './lib/proc.js';
import { settle } from './lib/settle.js';
import { percentile, sleep } from './lib/stats.js';

const set = 'fleetsync';

export interface FleetReconcileResult {
  targets: number;
  objectsPerTarget: number;
  /** Kinds × namespaces of one target: the LISTs an in-sync reconcile is allowed. */
  listsPerTarget: number;
  intervalS: number;
  rounds: number;
  /** Push → every target's first deploy recorded, ms. */
  deployMs: number;
  /** Reconcile jobs completed in the measured window. */
  reconciles: number;
  /** API requests per round (one reconcile of every target) by verb, less the background. */
  requestsPerRound: Record<string, number>;
  /** API requests per reconcile of one in-sync target. */
  requestsPerTarget: number;
  /** The environment's own requests per second before the fleet started, by verb. */
  backgroundPerS: Record<string, number>;
  /** Worker CPU seconds per round (per reconcile × targets), and that as a share of one core at a 1-minute interval. */
  workerCpuSPerRound: number;
  workerCoreShareAt1Min: number;
  kubectlTargets: number;
  kubectlRequestsPerTarget: number;
  kubectlRequests: Record<string, number>;
  kubectlEachP50Ms: number;
}

const targetFiles = (dir: string, rev: string, objects: number) => asFiles(objectSet({ count: objects, set, rev, dir, replicas: 0 }));
const total = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

/** Requests of a window less `seconds` of the background rate, by verb (never below 0). */
function lessBackground(requests: Record<string, number>, backgroundPerS: Record<string, number>, seconds: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [verb, n] of Object.entries(requests)) {
    const v = Math.max(0, n - (backgroundPerS[verb] ?? 0) * seconds);
    if (v >= 0.5) out[verb] = Math.round(v);
  }
  return out;
}

/** API requests per second by verb while nothing of the bench runs (leases, kwok's node, controllers). */
async function background(ctx: BenchContext, ms: number): Promise<Record<string, number>> {
  const before = await apiMetrics(ctx.admin);
  const t = performance.now();
  await sleep(ms);
  const w = apiWindow(before, await apiMetrics(ctx.admin));
  const s = (performance.now() - t) / 1000;
  return Object.fromEntries(Object.entries(w.requests).map(([verb, n]) => [verb, n / s]));
}

export async function benchFleetReconcile(ctx: BenchContext): Promise<FleetReconcileResult> {
  const targets = ctx.quick ? 20 : 200;
  const objects = 20;
  const intervalS = ctx.quick ? 10 : 30;
  const rounds = ctx.quick ? 1 : 2;
  const sample = ctx.quick ? 5 : 20;
  const rev = `fleetsync-${ctx.runId}`;
  // a repository per target: the first deploy of 200 targets of one 4,000-file monorepo fetched and
  // checked it out per target (~11 s each) and did not fit `make bench`; this row is about rounds
  const fx = await FleetFixture.start(ctx, { name: 'fleetsync', targets, reconcile: `${intervalS}s`, repoPerTarget: true });
  const kubectlDir = await mkdtemp(path.join(os.tmpdir(), 'driftless-bench-fleetsync-'));
  try {
    await fx.prepareNamespaces([set]);
    const backgroundPerS = await background(ctx, ctx.quick ? 3000 : 10_000);

    await fx.startWeb();
    await fx.startWorker();
    const pushed = await fx.commitAndPush(`${targets} targets of ${objects} objects`, (dir) => targetFiles(dir, rev, objects));
    const deployed = await fx.allSucceeded(pushed.shas, pushed.postedWall, 600_000);
    const deployMs = deployed.lastFinishedWall - pushed.postedWall;
    ctx.progress(`fleet reconcile: ${targets} targets × ${objects} objects deployed in ${Math.round(deployMs)} ms; one interval (${intervalS} s) to settle, then ${rounds} measured`);
    await settle(ctx, fx.namespaces, set);
    await sleep(intervalS * 1000);

    const worker = fx.worker!;
    const before = await apiMetrics(ctx.admin);
    const cpuBefore = cpuMs(worker.pid);
    const wallBefore = Date.now();
    const t = performance.now();
    await sleep(rounds * intervalS * 1000);
    const window = apiWindow(before, await apiMetrics(ctx.admin));
    const windowS = (performance.now() - t) / 1000;
    const workerCpuS = (cpuMs(worker.pid) - cpuBefore) / 1000;
    const reconciles = await ctx.redis.zcount(`${fx.prefix}:sync:completed`, wallBefore, Date.now());
    if (reconciles === 0) throw new Error(`no reconcile completed in ${windowS.toFixed(1)} s`);
    // per reconcile, then times the targets: a window's edges cut reconciles, not whole rounds
    const requestsPerRound = Object.fromEntries(Object.entries(lessBackground(window.requests, backgroundPerS, windowS)).map(([verb, n]) => [verb, Math.round((n / reconciles) * targets)]));
    const workerCpuSPerRound = (workerCpuS / reconciles) * targets;
    ctx.progress(`fleet reconcile driftless: ${reconciles} reconciles in ${windowS.toFixed(1)} s; per round ${JSON.stringify(requestsPerRound)}; worker ${workerCpuSPerRound.toFixed(2)} CPU-s per round`);
    await fx.stopProcesses();

    // kubectl diff of a sample of the same targets' folders, one after the other
    const dirs = fx.targets.slice(0, sample).map((t) => ({ ns: t.namespace, dir: path.join(kubectlDir, t.path), files: targetFiles(path.join(kubectlDir, t.path), rev, objects) }));
    for (const d of dirs) {
      for (const [file, text] of Object.entries(d.files)) {
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, text);
      }
    }
    const diff = (d: (typeof dirs)[number]) => run(ctx.env.kubectl, ['diff', '--server-side', '--force-conflicts', '-n', d.ns, '-f', d.dir], { env: kubectlEnv(ctx), okExit: [0, 1] });
    // one diff before counting fills kubectl's discovery cache, as a CI runner's would be
    await diff(dirs[0]!);
    const kBefore = await apiMetrics(ctx.admin);
    const kt = performance.now();
    const each: number[] = [];
    for (const d of dirs) each.push((await diff(d)).ms);
    const kWindowS = (performance.now() - kt) / 1000;
    const kubectlRequests = lessBackground(apiWindow(kBefore, await apiMetrics(ctx.admin)).requests, backgroundPerS, kWindowS);
    const r: FleetReconcileResult = {
      targets,
      objectsPerTarget: objects,
      listsPerTarget: kindNames.length,
      intervalS,
      rounds,
      deployMs,
      reconciles,
      requestsPerRound,
      requestsPerTarget: total(requestsPerRound) / targets,
      backgroundPerS,
      workerCpuSPerRound,
      workerCoreShareAt1Min: workerCpuSPerRound / 60,
      kubectlTargets: sample,
      kubectlRequestsPerTarget: total(kubectlRequests) / sample,
      kubectlRequests,
      kubectlEachP50Ms: percentile(each, 50),
    };
    ctx.progress(`fleet reconcile kubectl diff: ${sample} targets, ${JSON.stringify(kubectlRequests)} (${r.kubectlRequestsPerTarget.toFixed(1)} per target), p50 ${Math.round(r.kubectlEachP50Ms)} ms each`);
    return r;
  } finally {
    await fx.close();
    await rm(kubectlDir, { recursive: true, force: true });
  }
}
