// `make bench`: every row of issues 7 and 19, each against a baseline measured in this run, on the
// real Redis and kube-apiserver of scripts/testenv. Progress goes to stderr, the table to stdout;
// a full run (no --only, no --quick) also rewrites bench/RESULTS.md.
//
//   node --import tsx bench/run.ts [--quick] [--only intake,push,first-apply,noop,burst,fleet-push,fleet-reconcile,fleet-config] [--profile] [--shared-env] [--concurrency N]
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { benchBurst, type BurstResult } from './burst.js';
import { benchFirstApply, describeCpu, removeKubectlDir, type FirstApplyResult } from './first-apply.js';
import { benchFleetConfig, type FleetConfigResult } from './fleet-config.js';
import { benchFleetPush, type FleetPushResult } from './fleet-push.js';
import { benchFleetReconcile, type FleetReconcileResult } from './fleet-reconcile.js';
import { benchIntake, type IntakeResult } from './intake.js';
import { compileChildren } from './lib/compile.js';
import type { BenchContext } from './lib/context.js';
import { driftlessCommand, loadAverage, machine, root, startTestEnv } from './lib/env.js';
import { chartNodeFlags } from './lib/driftless.js';
import { DeployFixture } from './lib/fixture.js';
import { Admin } from './lib/kube.js';
import { fmtInt, fmtMb, fmtMs, fmtRatio, median } from './lib/stats.js';
import { benchNoopResync, type NoopResult } from './noop-resync.js';
import { benchPushToApplied, deployApp, prepareApp, type PushToAppliedResult } from './push-to-applied.js';
import { renderResults, markdownTable, type Report, type Row } from './table.js';

const rowNames = ['intake', 'push', 'first-apply', 'noop', 'burst', 'fleet-push', 'fleet-reconcile', 'fleet-config'] as const;
type RowName = (typeof rowNames)[number];

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    profile: { type: 'boolean', default: false },
    'shared-env': { type: 'boolean', default: false },
    concurrency: { type: 'string' },
  },
});
const only = new Set((values.only ?? rowNames.join(',')).split(',').map((s) => s.trim()).filter(Boolean));
for (const name of only) if (!(rowNames as readonly string[]).includes(name)) throw new Error(`--only: unknown row ${name}; rows: ${rowNames.join(', ')}`);
// the no-op resync needs the first apply's objects
if (only.has('noop')) only.add('first-apply');
const wants = (r: RowName) => only.has(r);
// only a run of every row, at full size, with the product's settings, replaces bench/RESULTS.md
const full = !values.quick && only.size === rowNames.length && !values.concurrency && !process.env.DRIFTLESS_ROOT;

const started = new Date();
const t0 = performance.now();
// the tree `make bench` just built; read now, as others may commit while the rows run
const benchedRevision = revision();
const loadStart = loadAverage();
const runId = started.toISOString().replace(/[-:T]/g, '').slice(4, 14);
const outDir = path.join(root, 'bench', '.out', runId);
mkdirSync(outDir, { recursive: true });
const progress = (message: string) => process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${message}\n`);

const env = startTestEnv(values['shared-env'] ? 'shared' : 'private', path.join(outDir, 'testenv'));
const redis = new Redis(env.redisUrl, { maxRetriesPerRequest: null });
const admin = await Admin.connect(env.kubeconfig);
const children = compileChildren(['lib/loadgen.ts', 'servers/minimal-handler.ts', 'servers/bare-http.ts']);
const ctx: BenchContext = {
  quick: values.quick ?? false,
  profile: values.profile ?? false,
  concurrency: values.concurrency ? Number(values.concurrency) : undefined,
  outDir,
  runId,
  env,
  redis,
  admin,
  scripts: children.scripts,
  progress,
};
const kubeVersion = await admin.version();
const redisVersion = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? 'unknown';
progress(`bench ${runId}${ctx.quick ? ' (quick)' : ''}: rows ${[...only].join(', ')}; load ${loadStart}; output in ${path.relative(root, outDir)}`);

let intake: IntakeResult | undefined;
let push: PushToAppliedResult | undefined;
let first: FirstApplyResult | undefined;
let noop: NoopResult | undefined;
let burst: BurstResult | undefined;
let fleetPush: FleetPushResult | undefined;
let fleetReconcile: FleetReconcileResult | undefined;
let fleetConfig: FleetConfigResult | undefined;
const failures: string[] = [];

async function attempt<T>(name: string, work: () => Promise<T>): Promise<T | undefined> {
  try {
    return await work();
  } catch (err) {
    progress(`${name} FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    failures.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}

try {
  // intake first, alone: no deploy processes compete for the two cores
  if (wants('intake')) intake = await attempt('intake', () => benchIntake(ctx));
  if (wants('push') || wants('first-apply') || wants('burst')) {
    const fx = await DeployFixture.start(ctx);
    try {
      if (wants('push')) push = await attempt('push→applied', () => benchPushToApplied(ctx, fx));
      if (wants('first-apply')) first = await attempt('first apply', () => benchFirstApply(ctx, fx));
      if (wants('noop') && first) noop = await attempt('no-op resync', () => benchNoopResync(ctx, fx, first!));
      if (wants('burst')) {
        burst = await attempt('burst', async () => {
          if (!push) {
            await prepareApp(ctx);
            await deployApp(ctx, fx, `app-${runId}-warm`);
          }
          return benchBurst(ctx, fx);
        });
      }
    } finally {
      await fx.close();
      await removeKubectlDir(first);
    }
  }
  // the fleet rows start their own web and worker, each after the previous row's have stopped
  if (wants('fleet-config')) fleetConfig = await attempt('fleet config', () => benchFleetConfig(ctx));
  if (wants('fleet-push')) fleetPush = await attempt('fleet push', () => benchFleetPush(ctx));
  if (wants('fleet-reconcile')) fleetReconcile = await attempt('fleet reconcile', () => benchFleetReconcile(ctx));
} finally {
  admin.close();
  await redis.quit();
  env.stop();
  children.remove();
}

const rows = tableRows();
const notes = resultNotes();
const report: Report = {
  date: started,
  machine: machine(kubeVersion, redisVersion),
  load: { start: loadStart, end: loadAverage() },
  durationS: (performance.now() - t0) / 1000,
  command: 'make bench',
  revision: benchedRevision,
  controllers: env.controllers,
  rows,
  notes,
};
writeFileSync(path.join(outDir, 'results.json'), JSON.stringify({ report, intake, push, first, noop, burst, fleetPush, fleetReconcile, fleetConfig, failures }, null, 2));
writeFileSync(path.join(outDir, 'RESULTS.md'), renderResults(report));
if (full) writeFileSync(path.join(root, 'bench', 'RESULTS.md'), renderResults(report));
progress(`done in ${Math.round(report.durationS)} s; load ${report.load.end}${full ? '; wrote bench/RESULTS.md' : ''}`);
console.log(markdownTable(rows));
if (failures.length > 0) {
  console.log(`\nfailed: ${failures.join('; ')}`);
  process.exitCode = 1;
}

function tableRows(): Row[] {
  const rows: Row[] = [];
  if (intake) {
    const d = intake.driftless;
    const m = intake.minimal;
    const ratio = d.rate / m.rate;
    rows.push({
      metric: '1. webhook intake, 50 connections: 202/s (p50 / p99)',
      driftless: `${fmtInt(d.rate)}/s (${d.flat.latency.p50} / ${d.flat.latency.p99} ms)`,
      baseline: `minimal node:http ${fmtInt(m.rate)}/s (${m.flat.latency.p50} / ${m.flat.latency.p99} ms); bare 202 ${fmtInt(intake.bare.rate)}/s`,
      ratio: fmtRatio(ratio),
      goal: '≥ 0.75×',
      met: ratio >= 0.75,
    });
    rows.push({
      metric: '1. webhook intake at a steady 200/s: p99',
      driftless: `${d.steady.latency.p99} ms (p50 ${d.steady.latency.p50} ms)`,
      baseline: `minimal node:http ${m.steady.latency.p99} ms (p50 ${m.steady.latency.p50} ms)`,
      ratio: fmtRatio(d.steady.latency.p99 / Math.max(m.steady.latency.p99, 1)),
      goal: '≤ 25 ms',
      met: d.steady.latency.p99 <= 25 && (d.steady.codes['202'] ?? 0) > 0,
    });
  }
  if (push) {
    const ratio = push.driftlessP50 / push.baselineP50;
    rows.push({
      metric: `2. push → applied, 50 objects: p50 of ${push.driftlessMs.length}`,
      driftless: fmtMs(push.driftlessP50),
      baseline: `git clone --depth 1 + kubectl apply --server-side --prune ${fmtMs(push.baselineP50)}`,
      ratio: fmtRatio(ratio),
      goal: '≤ 0.5×',
      met: ratio <= 0.5,
    });
  }
  if (first) {
    const ratio = first.driftlessObjectsPerS / first.kubectlObjectsPerS;
    rows.push({
      metric: `3. first apply, ${fmtInt(first.objects)} objects in 10 namespaces: objects/s; API requests per object (mutating p99)`,
      driftless: `${fmtInt(first.driftlessObjectsPerS)}/s, ${fmtMs(first.driftlessMs)}; ${first.requestsPerObject.toFixed(2)} requests/object ${JSON.stringify(first.requestsByVerb)} (${fmtMs(first.driftlessApi.mutatingP99Ms)})`,
      baseline: `kubectl apply --server-side ${fmtInt(first.kubectlObjectsPerS)}/s, ${fmtMs(first.kubectlMs)}; ${first.kubectlRequests.perObject.toFixed(2)} requests/object (${fmtMs(first.kubectlApi.mutatingP99Ms)})`,
      ratio: fmtRatio(ratio),
      goal: '≥ 1.3× and ≤ 2.05 requests/object',
      met: ratio >= 1.3 && first.requestsPerObject <= 2.05,
    });
  }
  if (noop) {
    const ratio = noop.driftlessMs / noop.kubectlMs;
    rows.push({
      metric: `4. no-op resync, ${fmtInt(noop.objects)} unchanged objects: time (writes)`,
      driftless: `${fmtMs(noop.driftlessMs)} (${noop.driftlessWrites} writes)`,
      baseline: `kubectl apply --server-side ${fmtMs(noop.kubectlMs)} (${noop.kubectlWrites} writes)`,
      ratio: fmtRatio(ratio),
      goal: '≤ 0.1× and 0 writes',
      met: ratio <= 0.1 && noop.driftlessWrites === 0,
    });
  }
  if (burst) {
    const ciEach = push?.baselineP50;
    rows.push({
      metric: `5. burst, ${burst.pushes} pushes in ${burst.spanS.toFixed(1)} s to one target: applies; last sha; terminal statuses`,
      driftless: `${burst.applies} applies; last sha ${burst.lastDeployed ? 'deployed' : 'NOT deployed'}; ${burst.terminal}/${burst.pushes} terminal, the last after ${fmtMs(burst.statusesMs)} (GitHub takes one write a second); settled ${fmtMs(burst.settleMs)}`,
      baseline: `a CI job per push: ${burst.pushes} applies${ciEach ? `, ≈ ${fmtMs(burst.pushes * ciEach)} serial (50 × row 2)` : ''}`,
      ratio: fmtRatio(burst.applies / burst.pushes),
      goal: '≤ 2 applies, last sha deployed, 50 terminal',
      met: burst.applies <= 2 && burst.lastDeployed && burst.terminal === burst.pushes,
    });
  }
  if (intake) {
    rows.push({
      metric: '6. peak RSS, web process (row 1)',
      driftless: fmtMb(intake.driftless.peakRssKb),
      baseline: `minimal node:http ${fmtMb(intake.minimal.peakRssKb)}`,
      ratio: fmtRatio(intake.driftless.peakRssKb / intake.minimal.peakRssKb),
      goal: '≤ 120 MB',
      met: intake.driftless.peakRssKb <= 120 * 1024,
    });
  }
  if (first) {
    rows.push({
      metric: '6. peak RSS, worker process (row 3)',
      driftless: fmtMb(first.workerPeakKb),
      baseline: `kubectl ${fmtMb(first.kubectlPeakKb)}`,
      ratio: fmtRatio(first.workerPeakKb / first.kubectlPeakKb),
      goal: '≤ 250 MB',
      met: first.workerPeakKb <= 250 * 1024,
    });
  }
  if (fleetPush) {
    const f = fleetPush;
    const ratio = f.driftlessMs / f.kubectlMs;
    rows.push({
      metric: `7. fleet push, ${f.targets} targets × ${f.objectsPerTarget} objects pushed at once: until all report success`,
      driftless: `${fmtMs(f.driftlessMs)} (each sync p50 ${fmtMs(f.syncP50Ms)}, max ${fmtMs(f.syncMaxMs)}; ${f.errored} errored attempts retried)`,
      baseline: `kubectl apply --server-side per target in a loop ${fmtMs(f.kubectlMs)} (${fmtMs(f.kubectlEachP50Ms)} each)`,
      ratio: fmtRatio(ratio),
      goal: '≤ 7 s and ≤ 0.5×',
      met: f.driftlessMs <= 7000 && ratio <= 0.5,
    });
    if (f.raised) {
      const raisedRatio = f.raised.driftlessMs / f.kubectlMs;
      rows.push({
        metric: `7. fleet push again, kube-controller-manager allowed ${f.raised.qps} requests/s (default 20)`,
        driftless: `${fmtMs(f.raised.driftlessMs)} (each sync p50 ${fmtMs(f.raised.syncP50Ms)})`,
        baseline: `the same kubectl loop ${fmtMs(f.kubectlMs)}`,
        ratio: fmtRatio(raisedRatio),
        goal: '≤ 7 s and ≤ 0.5×',
        met: f.raised.driftlessMs <= 7000 && raisedRatio <= 0.5,
      });
    }
  }
  if (fleetReconcile) {
    const f = fleetReconcile;
    const ratio = f.requestsPerTarget / f.kubectlRequestsPerTarget;
    rows.push({
      metric: `8. fleet in sync, ${f.targets} targets × ${f.objectsPerTarget} objects, reconciled every interval: API requests per target per round; worker CPU`,
      driftless: `${f.requestsPerTarget.toFixed(2)} requests/target (per round ${JSON.stringify(f.requestsPerRound)}); worker ${f.workerCpuSPerRound.toFixed(2)} CPU-s per round = ${(f.workerCoreShareAt1Min * 100).toFixed(1)}% of a core at 1 min`,
      baseline: `kubectl diff --server-side ${f.kubectlRequestsPerTarget.toFixed(1)} requests/target (${f.kubectlTargets} of the targets)`,
      ratio: fmtRatio(ratio),
      goal: `≤ ${f.listsPerTarget} (kinds × namespaces) and ≤ 0.05× requests/target; CPU ≤ 10% of a core`,
      met: f.requestsPerTarget <= f.listsPerTarget && ratio <= 0.05 && f.workerCoreShareAt1Min <= 0.1 && f.reconciles >= 0.75 * f.targets * f.rounds,
    });
  }
  if (fleetConfig) {
    const { fleet: f, single: one } = fleetConfig;
    const describe = (s: typeof f) => `web ${fmtMs(s.webStartMs)} (${fmtMb(s.webPeakKb)}), worker ${fmtMs(s.workerStartMs)} (${fmtMb(s.workerPeakKb)})`;
    rows.push({
      metric: `9. ${fmtInt(f.targets)} targets in the configuration: start to ready (peak RSS over ${fleetConfig.quietMs / 1000} s)`,
      driftless: describe(f),
      baseline: `1 target: ${describe(one)}`,
      ratio: fmtRatio(Math.max(f.webStartMs, f.workerStartMs) / Math.max(one.webStartMs, one.workerStartMs)),
      goal: '≤ 2 s and ≤ 250 MB each',
      met: Math.max(f.webStartMs, f.workerStartMs) <= 2000 && Math.max(f.webPeakKb, f.workerPeakKb) <= 250 * 1024,
    });
    const s = fleetConfig.schedule;
    const d = fleetConfig.defaultSchedule;
    rows.push({
      metric: `9. ${fmtInt(f.targets)} targets: reconciles due in the busiest 1% of one ${fleetConfig.intervalMs / 60_000}-minute interval (busiest second)`,
      driftless: `${s.busiestPercent} (${s.busiestSecond})`,
      baseline: `BullMQ's default placement, { every } alone: ${d.busiestPercent} (${d.busiestSecond})`,
      ratio: `${fmtRatio(s.busiestPercentRatio)} an even share`,
      goal: '≤ 3× an even share',
      met: s.busiestPercentRatio <= 3,
    });
  }
  return rows;
}

function resultNotes(): string[] {
  const n: string[] = [];
  const build = driftlessCommand();
  n.push(
    `Environment: ${env.dir.endsWith('.testenv') ? 'the shared .testenv' : `a private scripts/testenv instance (${path.relative(root, env.dir)}), started and stopped by the bench so no other suite's objects or requests are in its /metrics`}; controllers (kube-controller-manager, kube-scheduler, kwok) ${env.controllers ? 'running' : 'not running'}. Driftless: ${build.built ? path.relative(root, build.args[0]!) || build.args[0] : 'src/cli.ts through tsx'}${process.env.DRIFTLESS_ROOT ? ` (DRIFTLESS_ROOT=${process.env.DRIFTLESS_ROOT})` : ''}, \`serve\` and \`worker\` as separate processes with the Helm chart's Node.js flags (web: ${chartNodeFlags('web').join(' ') || 'none'}; worker: ${chartNodeFlags('worker').join(' ') || 'none'}), LOG_LEVEL=info, target concurrency ${ctx.concurrency ?? 'default (8)'}.`,
    'Objects: ConfigMaps, headless Services, Deployments and ServiceAccounts in turn, one file each; Deployments have 1 replica in rows 2 and 5 and 0 in rows 3–4, so that the scheduler and kwok starting 250 Pods do not dominate the cluster side of a row about the deployer.',
  );
  if (intake) {
    n.push(
      `Row 1: autocannon 9 in its own process, 50 connections for ${intake.driftless.flat.durationS} s after a 2 s warm-up, then 10 connections at 200 requests/s; the real push example of @octokit/webhooks-examples, signed, with a fresh X-GitHub-Delivery per request. Each server runs in its own process; best of ${intake.rounds.driftless?.length ?? 0} interleaved rounds. Driftless logs every delivery at info (to a file). Non-202 answers: driftless ${JSON.stringify(nonAccepted(intake.driftless.flat.codes))}, minimal ${JSON.stringify(nonAccepted(intake.minimal.flat.codes))}. CPU per accepted delivery at 50 connections: Driftless web ${intake.driftless.cpuPerRequestMs.toFixed(2)} ms + Redis ${intake.driftless.redisCpuPerRequestMs.toFixed(2)} ms; minimal handler ${intake.minimal.cpuPerRequestMs.toFixed(2)} ms + Redis ${intake.minimal.redisCpuPerRequestMs.toFixed(2)} ms; bare ${intake.bare.cpuPerRequestMs.toFixed(2)} ms. Redis commands per delivery: Driftless ${JSON.stringify(intake.driftless.redisCalls)}; minimal ${JSON.stringify(intake.minimal.redisCalls)}.`,
    );
  }
  if (intake?.proposal) {
    const p = intake.proposal;
    n.push(
      `Row 1, proposed build (${process.env.BENCH_PROPOSAL_ROOT}) in the same rounds: ${fmtInt(p.rate)}/s (${fmtRatio(p.rate / intake.minimal.rate)} of the minimal handler), p50/p99 ${p.flat.latency.p50}/${p.flat.latency.p99} ms, at 200/s p99 ${p.steady.latency.p99} ms, peak RSS ${fmtMb(p.peakRssKb)}, CPU/delivery ${p.cpuPerRequestMs.toFixed(2)} ms + Redis ${p.redisCpuPerRequestMs.toFixed(2)} ms, Redis commands per delivery ${JSON.stringify(p.redisCalls)}.`,
    );
  }
  if (push) {
    n.push(
      `Row 2: "applied" is the arrival of the watch event of the last of the 50 objects carrying the new revision (cluster-wide watches opened before the run, so no polling load and ms resolution; the 'deployed' commit status would add the report queue and only has 1 s resolution). Driftless all: ${push.driftlessMs.map((v) => Math.round(v)).join(', ')} ms; POST → pipeline start (intake, queue, lock, mirror fetch, newest-wins) p50 ${fmtMs(median(push.pickupMs))}; stages p50 ${JSON.stringify(push.stages)}; sync recorded in history (after prune and health wait) p50 ${fmtMs(median(push.driftlessDoneMs))}. CI job all: ${push.baselineMs.map((v) => Math.round(v)).join(', ')} ms, of which clone p50 ${fmtMs(median(push.cloneMs))}, kubectl exit p50 ${fmtMs(median(push.baselineExitMs))}.`,
    );
  }
  if (first) {
    n.push(
      `Row 3: Driftless from the push POST, kubectl from its spawn, both to the watch event of the last object. Driftless stages ${JSON.stringify(first.stages)}; API requests in its window ${JSON.stringify(first.driftlessApi.requests)}; kubectl's ${JSON.stringify(first.kubectlApi.requests)} (exit after ${fmtMs(first.kubectlExitMs)}). Cluster-side CPU in kubectl's window: ${describeCpu(first.kubectlApi)}; in Driftless's: ${describeCpu(first.driftlessApi)}. Mutating p99 is histogram_quantile over apiserver_request_duration_seconds (POST/PUT/PATCH/APPLY/DELETE, dry runs included) between two /metrics reads.`,
    );
  }
  if (noop) {
    n.push(
      `Row 4: Driftless from the resync's POST (/api/targets/<name>/sync, a person's resync of the applied commit) to the sync recorded in history; stages ${JSON.stringify(noop.stages)}; API requests ${JSON.stringify(noop.driftlessApi.requests)}; writes = resourceVersions that moved among the ${noop.objects} objects and the ApplySet parent. kubectl requests ${JSON.stringify(noop.kubectlApi.requests)}. Cluster-side CPU: kubectl's window ${describeCpu(noop.kubectlApi)}; Driftless's ${describeCpu(noop.driftlessApi)}.`,
    );
  }
  if (burst) {
    n.push(
      `Row 5: the 50 commits are made first, then their webhooks are sent every 100 ms (git on a busy machine is slower than 100 ms a commit); each changes one ConfigMap. ${burst.applies} syncs applied, ${burst.superseded} commits superseded; statuses read from the GitHub stand-in; "settled" is from the first POST to the last commit's sync recorded.`,
    );
  }
  if (fleetPush) {
    n.push(
      `Row 7: one commit to a monorepo holding every target's folder (${fleetPush.objectsPerTarget} objects each: ConfigMap, headless Service, Deployment with 0 replicas, ServiceAccount; one namespace per target), one webhook naming a file in each folder; the clock runs from the POST until the last target's sync is recorded as succeeded in history (after its health wait). Commit statuses are not waited for: at the default writeInterval of 1 s per client they drain at one write a second. kubectl (first): one \`kubectl apply --server-side -n <ns> -f <folder>\` per target in a loop, into namespaces of its own. Driftless's sync stages, p50: ${JSON.stringify(fleetPush.stages)}.${fleetPush.raised ? ` The health wait is most of a sync: kube-controller-manager's client limit (20 requests/s by default) paces the 100 Deployments' rollouts. The second line deletes the objects, restarts the controllers with \`--kube-api-qps ${fleetPush.raised.qps}\` and pushes new ones: stages p50 ${JSON.stringify(fleetPush.raised.stages)}.` : ''}`,
    );
  }
  if (fleetReconcile) {
    const f = fleetReconcile;
    n.push(
      `Row 8: a repository per target (a common layout; the first deploy of one 4,000-file monorepo per target took ~11 s a target and did not fit \`make bench\`), reconcile.interval shortened to ${f.intervalS} s so the row fits; after the first deploy (${fmtMs(f.deployMs)} for ${f.targets * f.objectsPerTarget} objects) and one interval to settle, ${f.rounds} whole intervals were measured (${f.reconciles} reconcile jobs completed) and scaled to one round (per completed reconcile, times the targets). Requests are the API server's /metrics counts less its background rate measured for 10 s before the fleet started (${JSON.stringify(Object.fromEntries(Object.entries(f.backgroundPerS).map(([v, r]) => [v, Math.round(r * 10) / 10])))} per second). Worker CPU from /proc; the share is per round over 60 s, the issue's interval. kubectl: \`kubectl diff --server-side --force-conflicts -n <ns> -f <folder>\` of ${f.kubectlTargets} targets in turn, after one uncounted diff that fills its discovery cache; requests ${JSON.stringify(f.kubectlRequests)}.`,
    );
  }
  if (fleetConfig) {
    const c = fleetConfig;
    n.push(
      `Row 9: every target has one ConfigMap in a shared namespace and the default reconcile interval (5 min); the commit is in the repository before the processes start and no webhook is sent, so what runs is what the schedule starts (${c.reconcilesInQuietSpell} syncs in the ${c.quietMs / 1000} s after start). Start is spawn → the \`listening\` / \`workers started\` log line, web first, then worker; peak RSS sampled every 50 ms from spawn to the end of that spell. The schedule is read from Redis (each reconcile scheduler's next due time) and binned by hundredths and seconds of the interval; even would be ${fmtInt(c.fleet.targets / 100)} per hundredth. The baseline places the same number of schedulers with BullMQ's \`{ every }\` alone, as Driftless did before be69609: all of them due in the same instant at every interval.`,
    );
  }
  if (failures.length > 0) n.push(`Failed rows: ${failures.join('; ')}`);
  return n;
}

/** The commit of the tree the build came from, `+ local changes` when it differs from it. */
function revision(): string {
  const dir = process.env.DRIFTLESS_ROOT ?? root;
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: dir, encoding: 'utf8' }).trim() !== '';
    return `${sha}${dirty ? ' + uncommitted changes in src/' : ''}${process.env.DRIFTLESS_ROOT ? ` (${dir})` : ''}`;
  } catch {
    return 'unknown';
  }
}

function nonAccepted(codes: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(codes).filter(([c]) => c !== '202'));
}

