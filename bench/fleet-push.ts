// Row 7: Flux's published benchmark shape, 100 targets of 4 objects each, all pushed at once (one
// commit to a monorepo and its one webhook), timed from the POST until every target has recorded a
// successful sync (after its health wait). Baseline: what a CI job does per target,
// `kubectl apply --server-side` of each target's folder in turn, timed until the last one exits.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { kubectlEnv } from './first-apply.js';
import type { BenchContext } from './lib/context.js';
import { sharedDir } from './lib/env.js';
import { FleetFixture } from './lib/fleet.js';
import { asFiles, objectSet } from './lib/manifests.js';
import { run } from './lib/proc.js';
import { settle } from './lib/settle.js';
import { percentile } from './lib/stats.js';

const set = 'fleet';
const objectsPerTarget = 4;

export interface FleetPushResult {
  targets: number;
  objectsPerTarget: number;
  /** POST → the last of the targets' syncs recorded as succeeded, ms. */
  driftlessMs: number;
  /** Each sync from pick-up to recorded, p50 and max, ms. */
  syncP50Ms: number;
  syncMaxMs: number;
  /** First kubectl spawn → the last one exited, ms. */
  kubectlMs: number;
  /** Attempts that errored and were retried before all succeeded. */
  errored: number;
  /** Median of each sync stage, ms. */
  stages: Record<string, number>;
  /** One kubectl process, p50, ms. */
  kubectlEachP50Ms: number;
  /**
   * The same push again (new objects: the first run's were deleted), with kube-controller-manager
   * allowed `qps` requests/s instead of its default 20: what is left once the controllers that
   * roll the 100 Deployments out stop being the bottleneck.
   */
  raised?: { qps: number; driftlessMs: number; syncP50Ms: number; stages: Record<string, number> };
}

/** The controller-manager client limit of the second run, requests/s (burst twice that). */
const raisedQps = 200;

/** One target's 4 objects (ConfigMap, Service, Deployment, ServiceAccount; no replicas, so no Pods for kwok to run). */
const targetFiles = (dir: string, rev: string) => asFiles(objectSet({ count: objectsPerTarget, set, rev, dir, replicas: 0 }));

export async function benchFleetPush(ctx: BenchContext): Promise<FleetPushResult> {
  const targets = ctx.quick ? 20 : 100;
  const rev = `fleet-${ctx.runId}`;
  const fx = await FleetFixture.start(ctx, { name: 'fleet', targets });
  const kubectlNamespaces = fx.targets.map((t) => `${t.namespace}-kc`);
  const kubectlDir = await mkdtemp(path.join(os.tmpdir(), 'driftless-bench-fleet-'));
  try {
    await fx.prepareNamespaces([set]);
    await Promise.all(kubectlNamespaces.map((ns) => ctx.admin.ensureNamespace(ns)));
    await ctx.admin.deleteSets(kubectlNamespaces, [set]);

    // kubectl first, one target after the other, as a CI job's loop would
    const dirs: string[] = [];
    for (const t of fx.targets) {
      for (const [file, text] of Object.entries(targetFiles(path.join(kubectlDir, t.path), rev))) {
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, text);
      }
      dirs.push(path.join(kubectlDir, t.path));
    }
    const each: number[] = [];
    const kStarted = performance.now();
    for (const [i, dir] of dirs.entries()) {
      each.push((await run(ctx.env.kubectl, ['apply', '--server-side', '-n', kubectlNamespaces[i]!, '-f', dir], { env: kubectlEnv(ctx) })).ms);
    }
    const kubectlMs = performance.now() - kStarted;
    ctx.progress(`fleet push kubectl: ${targets} targets × ${objectsPerTarget} objects in ${Math.round(kubectlMs)} ms (p50 ${Math.round(percentile(each, 50))} ms each)`);
    await settle(ctx, kubectlNamespaces, set);

    // Driftless: web and worker up before the clock starts, as in production
    await fx.startWeb();
    await fx.startWorker();
    const pushed = await fx.commitAndPush(`${targets} targets`, (dir) => targetFiles(dir, rev));
    const done = await fx.allSucceeded(pushed.sha, pushed.postedWall, 300_000);
    const driftlessMs = done.lastFinishedWall - pushed.postedWall;
    const r: FleetPushResult = {
      targets,
      objectsPerTarget,
      driftlessMs,
      syncP50Ms: percentile(done.syncMs, 50),
      syncMaxMs: Math.max(...done.syncMs),
      stages: done.stages,
      errored: done.errored,
      kubectlMs,
      kubectlEachP50Ms: percentile(each, 50),
    };
    ctx.progress(`fleet push driftless: ${targets} targets succeeded ${Math.round(driftlessMs)} ms after the push (each sync p50 ${Math.round(r.syncP50Ms)} ms, max ${Math.round(r.syncMaxMs)} ms; stages p50 ${JSON.stringify(r.stages)}; ${r.errored} errored attempts retried)`);

    // only the bench's own environment may have its controllers restarted under it
    if (ctx.env.controllers && ctx.env.dir !== sharedDir) {
      ctx.env.restartControllers(raisedQps);
      try {
        await ctx.admin.deleteSets(fx.targets.map((t) => t.namespace), [set]);
        await settle(ctx, fx.targets.map((t) => t.namespace), set);
        const again = await fx.commitAndPush(`${targets} targets again`, (dir) => targetFiles(dir, `${rev}-again`));
        const doneAgain = await fx.allSucceeded(again.sha, again.postedWall, 300_000);
        r.raised = { qps: raisedQps, driftlessMs: doneAgain.lastFinishedWall - again.postedWall, syncP50Ms: percentile(doneAgain.syncMs, 50), stages: doneAgain.stages };
        ctx.progress(`fleet push driftless, controller-manager at ${raisedQps} requests/s: ${Math.round(r.raised.driftlessMs)} ms (each sync p50 ${Math.round(r.raised.syncP50Ms)} ms; stages p50 ${JSON.stringify(r.raised.stages)})`);
      } finally {
        ctx.env.restartControllers();
      }
    }
    return r;
  } finally {
    await fx.close();
    await rm(kubectlDir, { recursive: true, force: true });
  }
}
