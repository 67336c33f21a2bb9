// Row 3: the first apply of 1,000 objects across 10 namespaces. kubectl applies its copy (other
// namespaces, so both start from nothing) with `kubectl apply --server-side -R -f dir`; Driftless
// gets the push of a commit with the same objects and its worker process does the whole sync.
// Both are timed from start to the watch event of the last object; the API server's /metrics
// give the mutating-request p99 of each window, and the requests each tool sent for its objects.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BenchContext } from './lib/context.js';
import { bulkNamespaces, targets, type DeployFixture } from './lib/fixture.js';
import { apiMetrics, apiWindow, kindNames, type Admin } from './lib/kube.js';
import { asFiles, objectSet } from './lib/manifests.js';
import { environmentPids } from './lib/env.js';
import { cpuWindow, memoryOf, PeakSampler, resetPeak, run } from './lib/proc.js';
import { settle } from './lib/settle.js';

export interface ApiWindow {
  requests: Record<string, number>;
  mutatingP99Ms: number;
  mutating: number;
  /** CPU seconds of the environment's processes (API server, etcd, controllers) and the window's length. */
  cpu?: { wallS: number; cpuS: Record<string, number> };
}

/** `apiserver 9.1 s, etcd 2.0 s … in 13.3 s (0.8 cores)`: how busy the cluster side was. */
export function describeCpu(w: ApiWindow): string {
  if (!w.cpu) return 'n/a';
  const total = Object.values(w.cpu.cpuS).reduce((a, b) => a + b, 0);
  const parts = Object.entries(w.cpu.cpuS).filter(([, v]) => v > 0).map(([n, v]) => `${n} ${v.toFixed(1)}`);
  return `${parts.join(', ')} CPU-s in ${w.cpu.wallS.toFixed(1)} s (${(total / w.cpu.wallS).toFixed(2)} cores)`;
}

/**
 * Resources a tool's own requests in this row go to: the set's four kinds and Secrets (Driftless's
 * ApplySet parent). kube-controller-manager works on other resources (ReplicaSets, EndpointSlices,
 * Events) or on subresources (deployments/status), so these counts are the tool's alone.
 * Discovery and OpenAPI (non-resource URLs, cached after a process's first use) are left out, for
 * both tools alike, and so is WATCH (the bench's own watches).
 */
const setResources = new Set([...kindNames.map((k) => `${k.toLowerCase()}s`), 'secrets']);

/** `apiserver_request_total` of the set's resources (subresource none), by `VERB` or `VERB dry-run`. */
async function setRequests(admin: Admin): Promise<Map<string, number>> {
  const text = await admin.text('/metrics');
  const counts = new Map<string, number>();
  for (const m of text.matchAll(/^apiserver_request_total\{([^}]*)\} (\S+)$/gm)) {
    const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!]));
    if (labels.component !== 'apiserver' || labels.subresource || !setResources.has(labels.resource ?? '') || labels.verb === 'WATCH') continue;
    const key = `${labels.verb}${labels.dry_run ? ' dry-run' : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + Number(m[2]));
  }
  return counts;
}

/** A tool's requests for its objects in one window: by verb, and per object. */
export interface OwnRequests {
  byVerb: Record<string, number>;
  perObject: number;
}

function ownRequests(before: Map<string, number>, after: Map<string, number>, objects: number): OwnRequests {
  const byVerb: Record<string, number> = {};
  for (const [key, n] of after) if (n - (before.get(key) ?? 0) > 0) byVerb[key] = n - (before.get(key) ?? 0);
  return { byVerb, perObject: Object.values(byVerb).reduce((a, b) => a + b, 0) / objects };
}

export interface FirstApplyResult {
  objects: number;
  sha: string;
  /** Directory with kubectl's copy of the objects (row 4 applies it again). */
  kubectlDir: string;
  driftlessMs: number;
  driftlessObjectsPerS: number;
  /** Sync stage timings from Driftless's history, ms. */
  stages: Record<string, number>;
  driftlessApi: ApiWindow;
  /** API requests Driftless sent for the set (see `setResources`) per object; the goal is ≤ 2.05. */
  requestsPerObject: number;
  /** Those requests by verb (`APPLY dry-run` is the validation, `LIST` what exists, `GET` one object). */
  requestsByVerb: Record<string, number>;
  /** The same of kubectl's window. */
  kubectlRequests: OwnRequests;
  kubectlMs: number;
  kubectlExitMs: number;
  kubectlObjectsPerS: number;
  kubectlApi: ApiWindow;
  /** Peak RSS during the row, kB: the worker process, and kubectl. */
  workerPeakKb: number;
  kubectlPeakKb: number;
}

export function kubectlEnv(ctx: BenchContext): NodeJS.ProcessEnv {
  return { ...process.env, KUBECONFIG: ctx.env.kubeconfig };
}

export async function benchFirstApply(ctx: BenchContext, fx: DeployFixture): Promise<FirstApplyResult> {
  const count = ctx.quick ? 100 : 1000;
  const dl = bulkNamespaces('dl');
  const kc = bulkNamespaces('kc');
  for (const ns of [...dl, ...kc]) await ctx.admin.ensureNamespace(ns);
  await ctx.admin.deleteSets([...dl, ...kc], ['bulk']);
  await ctx.admin.deleteSecret(targets.bulk.namespace, `driftless-${targets.bulk.name}`);

  const rev = `bulk-${ctx.runId}`;
  const kubectlDir = await mkdtemp(path.join(os.tmpdir(), 'driftless-bench-kubectl-'));
  for (const [file, text] of Object.entries(asFiles(objectSet({ count, set: 'bulk', rev, dir: kubectlDir, namespaces: kc, replicas: 0 })))) {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
  }
  const files = asFiles(objectSet({ count, set: 'bulk', rev, dir: targets.bulk.path, namespaces: dl, replicas: 0 }));
  const sha = await fx.commit('bulk', `${count} objects`, files);

  // kubectl first: one PATCH per object, one after the other
  let kubectlPid = 0;
  const kubectlPeak = new PeakSampler(() => (kubectlPid ? [{ name: 'kubectl', pid: kubectlPid }] : [])).start();
  const pids = environmentPids(ctx.env);
  let before = await apiMetrics(ctx.admin);
  let ownBefore = await setRequests(ctx.admin);
  let cpu = cpuWindow(pids);
  const kStarted = performance.now();
  const k = await run(ctx.env.kubectl, ['apply', '--server-side', '-R', '-f', kubectlDir], { env: kubectlEnv(ctx), onSpawn: (pid) => (kubectlPid = pid) });
  const kExit = performance.now() - kStarted;
  const kLast = await fx.watch.waitFor(kc, rev, count, 120_000);
  const kubectlApi: ApiWindow = { ...apiWindow(before, await apiMetrics(ctx.admin)), cpu: cpu.stop() };
  const kubectlRequests = ownRequests(ownBefore, await setRequests(ctx.admin), count);
  const kubectlPeakKb = kubectlPeak.stop().get('kubectl') ?? Number.NaN;
  const kubectlMs = kLast - kStarted;
  ctx.progress(`first apply kubectl: ${count} objects in ${Math.round(kubectlMs)} ms (exit ${Math.round(kExit)} ms, ${k.stdout.split('\n').length - 1} lines), mutating p99 ${Math.round(kubectlApi.mutatingP99Ms)} ms, ${kubectlRequests.perObject.toFixed(3)} requests/object ${JSON.stringify(kubectlRequests.byVerb)}; ${describeCpu(kubectlApi)}`);

  await settle(ctx, kc, 'bulk');

  // Driftless: the push, the worker process fetches, renders, plans, applies, prunes
  resetPeak(fx.worker.pid);
  const workerPeak = new PeakSampler(() => [{ name: 'worker', pid: fx.worker.pid }], 100).start();
  before = await apiMetrics(ctx.admin);
  ownBefore = await setRequests(ctx.admin);
  cpu = cpuWindow({ ...pids, worker: fx.worker.pid });
  const pushed = await fx.push('bulk', sha, Object.keys(files));
  const dLast = await fx.watch.waitFor(dl, rev, count, 300_000);
  // the window of the row: up to the last object; the health wait that follows is not part of it
  const driftlessApi: ApiWindow = { ...apiWindow(before, await apiMetrics(ctx.admin)), cpu: cpu.stop() };
  const own = ownRequests(ownBefore, await setRequests(ctx.admin), count);
  const entry = await fx.finished('bulk', sha, pushed.postedWall, 300_000);
  const workerPeakKb = Math.max(workerPeak.stop().get('worker') ?? 0, memoryOf(fx.worker.pid)?.hwmKb ?? 0);
  const driftlessMs = dLast - pushed.postedAt;
  ctx.progress(
    `first apply driftless: ${count} objects in ${Math.round(driftlessMs)} ms (stages ${JSON.stringify(entry.timings)}), mutating p99 ${Math.round(driftlessApi.mutatingP99Ms)} ms, ${own.perObject.toFixed(3)} requests/object ${JSON.stringify(own.byVerb)}, worker peak ${Math.round(workerPeakKb / 1024)} MB; ${describeCpu(driftlessApi)}`,
  );
  return {
    objects: count,
    sha,
    kubectlDir,
    driftlessMs,
    driftlessObjectsPerS: count / (driftlessMs / 1000),
    stages: entry.timings,
    driftlessApi,
    requestsPerObject: own.perObject,
    requestsByVerb: own.byVerb,
    kubectlRequests,
    kubectlMs,
    kubectlExitMs: kExit,
    kubectlObjectsPerS: count / (kubectlMs / 1000),
    kubectlApi,
    workerPeakKb,
    kubectlPeakKb,
  };
}

export async function removeKubectlDir(r: FirstApplyResult | undefined): Promise<void> {
  if (r) await rm(r.kubectlDir, { recursive: true, force: true });
}
