// Row 9: 1,000 targets in the configuration. The web and the worker are started with it, each
// timed from spawn to ready, and their peak RSS read over the start and a quiet spell after it.
// Baseline: the same processes with a 1-target configuration. Then the reconcile schedule the
// worker made is read from Redis (when each target's next reconcile is due) and its spread over
// one interval compared with BullMQ's default placement of the same 1,000 schedulers (`{ every }`
// alone, as Driftless had it before be69609), measured in a scratch queue.
import { Queue } from 'bullmq';
import * as yaml from 'js-yaml';
import type { BenchContext } from './lib/context.js';
import { dropPrefix, type BenchTarget } from './lib/driftless.js';
import { FleetFixture } from './lib/fleet.js';
import { setLabel } from './lib/kube.js';
import { PeakSampler } from './lib/proc.js';
import { sleep } from './lib/stats.js';

/** The product's default reconcile.interval, which the row keeps, ms. */
const defaultIntervalMs = 5 * 60_000;
const set = 'fleetcfg';

export interface StartFigures {
  targets: number;
  /** Spawn → ready (`listening`, `workers started`), ms. */
  webStartMs: number;
  workerStartMs: number;
  /** Peak RSS from spawn to the end of the quiet spell, kB. */
  webPeakKb: number;
  workerPeakKb: number;
}

/** How a set of due times falls over one interval. */
export interface Spread {
  /** Targets due in the busiest hundredth of the interval, and that over an even share (n / 100). */
  busiestPercent: number;
  busiestPercentRatio: number;
  /** Targets due in the busiest second. */
  busiestSecond: number;
}

export interface FleetConfigResult {
  intervalMs: number;
  quietMs: number;
  fleet: StartFigures;
  single: StartFigures;
  /** Due times of the worker's schedule, and of BullMQ's default placement. */
  schedule: Spread;
  defaultSchedule: Spread;
  /** Syncs the worker recorded during the quiet spell (reconciles that found the commit not yet deployed). */
  reconcilesInQuietSpell: number;
}

export function spread(dueMs: readonly number[], intervalMs: number): Spread {
  const count = (width: number) => {
    const bins = new Map<number, number>();
    for (const t of dueMs) bins.set(Math.floor((t % intervalMs) / width), (bins.get(Math.floor((t % intervalMs) / width)) ?? 0) + 1);
    return Math.max(0, ...bins.values());
  };
  const busiestPercent = count(intervalMs / 100);
  return { busiestPercent, busiestPercentRatio: busiestPercent / (dueMs.length / 100), busiestSecond: count(1000) };
}

/** When each reconcile scheduler of a prefix is next due, ms since the epoch. */
async function dueTimes(ctx: BenchContext, prefix: string): Promise<number[]> {
  const flat = await ctx.redis.zrange(`${prefix}:sync:repeat`, '0', '-1', 'WITHSCORES');
  return flat.filter((_, i) => i % 2 === 1).map(Number);
}

/** Starts the fleet's web, then its worker, timing each and sampling their peak RSS until `quietMs` after both are up. */
async function startAndWatch(fx: FleetFixture, quietMs: number): Promise<StartFigures> {
  const pids: { name: string; pid: number }[] = [];
  const peaks = new PeakSampler(() => pids, 50).start();
  let t = performance.now();
  const web = await fx.startWeb();
  const webStartMs = performance.now() - t;
  pids.push({ name: 'web', pid: web.child.pid });
  t = performance.now();
  const worker = await fx.startWorker();
  const workerStartMs = performance.now() - t;
  pids.push({ name: 'worker', pid: worker.pid });
  await sleep(quietMs);
  const p = peaks.stop();
  return { targets: fx.targets.length, webStartMs, workerStartMs, webPeakKb: p.get('web') ?? Number.NaN, workerPeakKb: p.get('worker') ?? Number.NaN };
}

/** One ConfigMap per target, named after it: the targets share a namespace. */
const targetFiles = (t: BenchTarget) => ({
  [`${t.path}/config.yaml`]: yaml.dump({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: t.name, labels: { [setLabel]: set } }, data: { target: t.name } }),
});

async function measure(ctx: BenchContext, name: string, targets: number, quietMs: number): Promise<{ figures: StartFigures; due: number[]; reconciles: number }> {
  const fx = await FleetFixture.start(ctx, { name, targets, sharedNamespace: 'bench-fleetcfg' });
  try {
    await fx.prepareNamespaces([set]);
    // the commit is there before the processes start; no webhook: the schedule finds it
    await fx.repo.commit(`${targets} targets`, Object.assign({}, ...fx.targets.map(targetFiles)) as Record<string, string>);
    const figures = await startAndWatch(fx, quietMs);
    const due = await dueTimes(ctx, fx.prefix);
    const reconciles = (await Promise.all(fx.targets.map((t) => ctx.redis.llen(`${fx.prefix}:target:${t.name}:history`)))).reduce((a, b) => a + b, 0);
    ctx.progress(
      `fleet config, ${targets} target(s): web ready in ${Math.round(figures.webStartMs)} ms (peak ${Math.round(figures.webPeakKb / 1024)} MB), worker in ${Math.round(figures.workerStartMs)} ms (peak ${Math.round(figures.workerPeakKb / 1024)} MB); ${reconciles} reconciles in ${quietMs / 1000} s`,
    );
    return { figures, due, reconciles };
  } finally {
    await fx.close();
  }
}

/** BullMQ's own placement of the same schedulers (`every` alone), in a scratch queue. */
async function defaultPlacement(ctx: BenchContext, targets: number): Promise<number[]> {
  const prefix = `bench-${ctx.runId}-everyonly`;
  const queue = new Queue('sync', { connection: ctx.redis, prefix });
  try {
    await Promise.all(Array.from({ length: targets }, (_, i) => queue.upsertJobScheduler(`reconcile.t-${i}`, { every: defaultIntervalMs }, { name: 'reconcile', data: {} })));
    return await dueTimes(ctx, prefix);
  } finally {
    await queue.close();
    await dropPrefix(ctx.redis, prefix);
  }
}

export async function benchFleetConfig(ctx: BenchContext): Promise<FleetConfigResult> {
  const targets = ctx.quick ? 200 : 1000;
  const quietMs = ctx.quick ? 3000 : 10_000;
  const single = await measure(ctx, 'fleetcfg1', 1, quietMs);
  const fleet = await measure(ctx, 'fleetcfg', targets, quietMs);
  const defaultDue = await defaultPlacement(ctx, targets);
  if (fleet.due.length !== targets) throw new Error(`the worker scheduled ${fleet.due.length} reconciles for ${targets} targets`);
  return {
    intervalMs: defaultIntervalMs,
    quietMs,
    fleet: fleet.figures,
    single: single.figures,
    schedule: spread(fleet.due, defaultIntervalMs),
    defaultSchedule: spread(defaultDue, defaultIntervalMs),
    reconcilesInQuietSpell: fleet.reconciles,
  };
}
