// Row 4: resync of the same 1,000 unchanged objects. Driftless gets a person's resync through its
// API (`POST /api/targets/<name>/sync`, what the dashboard and `/sync` do; a push of the applied
// commit is left alone by branch truth); timed from the POST to the sync recorded in history. Baseline: `kubectl apply --server-side`
// of the same files again. Writes are counted as resourceVersions that moved.
import type { BenchContext } from './lib/context.js';
import { bulkNamespaces, targets, type DeployFixture } from './lib/fixture.js';
import { describeCpu, kubectlEnv, type ApiWindow, type FirstApplyResult } from './first-apply.js';
import { environmentPids } from './lib/env.js';
import { apiMetrics, apiWindow } from './lib/kube.js';
import { cpuWindow, run } from './lib/proc.js';

export interface NoopResult {
  driftlessMs: number;
  stages: Record<string, number>;
  driftlessWrites: number;
  driftlessApi: ApiWindow;
  kubectlMs: number;
  kubectlWrites: number;
  kubectlApi: ApiWindow;
  objects: number;
}

async function versions(ctx: BenchContext, namespaces: readonly string[], parent?: { ns: string; name: string }): Promise<Map<string, string>> {
  const rvs = await ctx.admin.resourceVersions(namespaces, 'bulk');
  if (parent) {
    const s = await ctx.admin.client.request<{ metadata: { resourceVersion: string } }>('GET', `/api/v1/namespaces/${parent.ns}/secrets/${parent.name}`);
    rvs.set(`Secret/${parent.ns}/${parent.name}`, s.metadata.resourceVersion);
  }
  return rvs;
}

function moved(before: Map<string, string>, after: Map<string, string>): number {
  let n = 0;
  for (const [k, v] of after) if (before.get(k) !== v) n += 1;
  for (const k of before.keys()) if (!after.has(k)) n += 1;
  return n;
}

export async function benchNoopResync(ctx: BenchContext, fx: DeployFixture, first: FirstApplyResult): Promise<NoopResult> {
  const dl = bulkNamespaces('dl');
  const kc = bulkNamespaces('kc');
  const parent = { ns: targets.bulk.namespace, name: `driftless-${targets.bulk.name}` };

  const pids = environmentPids(ctx.env);
  const kBefore = await versions(ctx, kc);
  let before = await apiMetrics(ctx.admin);
  let cpu = cpuWindow(pids);
  const k = await run(ctx.env.kubectl, ['apply', '--server-side', '-R', '-f', first.kubectlDir], { env: kubectlEnv(ctx) });
  const kubectlApi: ApiWindow = { ...apiWindow(before, await apiMetrics(ctx.admin)), cpu: cpu.stop() };
  const kubectlWrites = moved(kBefore, await versions(ctx, kc));
  ctx.progress(`no-op kubectl: ${Math.round(k.ms)} ms, ${kubectlWrites} writes; ${describeCpu(kubectlApi)}`);

  const dBefore = await versions(ctx, dl, parent);
  before = await apiMetrics(ctx.admin);
  cpu = cpuWindow({ ...pids, worker: fx.worker.pid });
  const pushed = await fx.resync('bulk');
  const entry = await fx.finished('bulk', first.sha, pushed.postedWall, 120_000);
  const driftlessApi: ApiWindow = { ...apiWindow(before, await apiMetrics(ctx.admin)), cpu: cpu.stop() };
  const driftlessWrites = moved(dBefore, await versions(ctx, dl, parent));
  const driftlessMs = entry.finishedAt - pushed.postedWall;
  ctx.progress(`no-op driftless: ${driftlessMs} ms (stages ${JSON.stringify(entry.timings)}), ${driftlessWrites} writes, requests ${JSON.stringify(driftlessApi.requests)}; ${describeCpu(driftlessApi)}`);
  return { driftlessMs, stages: entry.timings, driftlessWrites, driftlessApi, kubectlMs: k.ms, kubectlWrites, kubectlApi, objects: first.objects };
}
