// Row 1: webhook intake. The same signed push, a fresh delivery id per request, from autocannon
// in its own process against three servers in their own processes: Driftless's web (verify,
// dedup, durable enqueue, 202), the minimal node:http handler and a bare node:http 202.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BenchContext } from './lib/context.js';
import { dropPrefix, pushDelivery, randomHex, startServe, writeConfig } from './lib/driftless.js';
import { cpuMs, memoryOf, run, spawnLogged, waitForLog, type Child } from './lib/proc.js';
import { sleep } from './lib/stats.js';

type ServerName = 'driftless' | 'minimal' | 'bare' | 'proposal';

/** A second Driftless build measured in the same rounds (BENCH_PROPOSAL_ROOT), for trying a change. */
const proposalRoot = process.env.BENCH_PROPOSAL_ROOT;

export interface LoadResult {
  durationS: number;
  codes: Record<string, number>;
  errors: number;
  timeouts: number;
  latency: { p50: number; p90: number; p99: number; max: number; mean: number };
}

export interface ServerResult {
  /** 202 answers per second at 50 connections. */
  rate: number;
  /** CPU per accepted delivery during the 50-connection run, ms: the server process, and Redis. */
  cpuPerRequestMs: number;
  redisCpuPerRequestMs: number;
  /** Redis commands per accepted delivery (Lua scripts counted as one each), by command. */
  redisCalls: Record<string, number>;
  flat: LoadResult;
  /** A steady 200 requests per second. */
  steady: LoadResult;
  /** VmHWM of the server process at the end of its run, kB. */
  peakRssKb: number;
}

export type IntakeResult = Record<'driftless' | 'minimal' | 'bare', ServerResult> & { proposal?: ServerResult; rounds: Partial<Record<ServerName, ServerResult[]>> };

const intakeRepo = 'bench/intake';

async function startServer(ctx: BenchContext, name: ServerName, round: number, secret: string, prefix: string): Promise<{ child: Child; url: string }> {
  if (name === 'driftless' || name === 'proposal') {
    const config = writeConfig(path.join(ctx.outDir, 'intake.yaml'), {
      secret,
      token: randomHex(8),
      apiUrl: 'http://127.0.0.1:9',
      kubeconfig: ctx.env.kubeconfig,
      redisUrl: ctx.env.redisUrl,
      prefix,
      cacheDir: path.join(ctx.outDir, 'git-cache-intake'),
      // a target the push routes to, so every delivery is queued; no worker consumes this prefix
      targets: [{ name: 'bench-intake', repo: intakeRepo, cloneUrl: 'http://127.0.0.1:9/bench/intake.git', path: '.', namespace: 'bench-intake' }],
    });
    return startServe(`intake-${name}-${round}`, config, { outDir: ctx.outDir, profile: ctx.profile && round === 0, buildRoot: name === 'proposal' ? proposalRoot : undefined });
  }
  const script = ctx.scripts.get(name === 'minimal' ? 'servers/minimal-handler.ts' : 'servers/bare-http.ts')!;
  const child = spawnLogged(`intake-${name}-${round}`, process.execPath, [script], {
    env: { ...process.env, BENCH_SECRET: secret, BENCH_PREFIX: prefix, PORT: '0' },
    logFile: path.join(ctx.outDir, `intake-${name}-${round}.log`),
  });
  const m = await waitForLog(child, /"port":(\d+)/);
  return { child, url: `http://127.0.0.1:${m[1]}` };
}

async function load(ctx: BenchContext, job: { url: string; body: string; headers: Record<string, string>; connections: number; durationS: number; rate?: number }): Promise<LoadResult> {
  const file = path.join(ctx.outDir, `loadgen-${randomHex(4)}.json`);
  writeFileSync(file, JSON.stringify(job));
  const { stdout } = await run(process.execPath, [ctx.scripts.get('lib/loadgen.ts')!, file]);
  return JSON.parse(stdout.trim().split('\n').pop()!) as LoadResult;
}

/** Redis's own CPU time and its per-command call counts (INFO), to see what a delivery costs there. */
async function redisStats(ctx: BenchContext): Promise<{ cpuMs: number; calls: Map<string, number> }> {
  const cpu = await ctx.redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(cpu)?.[1] ?? Number.NaN);
  const calls = new Map<string, number>();
  for (const m of (await ctx.redis.info('commandstats')).matchAll(/cmdstat_([^:]+):calls=(\d+)/g)) calls.set(m[1]!, Number(m[2]));
  return { cpuMs: (field('used_cpu_sys') + field('used_cpu_user')) * 1000, calls };
}

const accepted = (r: LoadResult) => (r.codes['202'] ?? 0) / r.durationS;

export async function benchIntake(ctx: BenchContext): Promise<IntakeResult> {
  const secret = randomHex(16);
  const delivery = pushDelivery(secret, { repo: intakeRepo, after: 'a'.repeat(40), paths: ['deploy/app.yaml'] });
  const rounds = ctx.quick ? 1 : 2;
  const flatS = ctx.quick ? 3 : 10;
  const steadyS = ctx.quick ? 3 : 10;
  const all: Record<ServerName, ServerResult[]> = { driftless: [], minimal: [], bare: [], proposal: [] };
  const servers: ServerName[] = proposalRoot ? ['bare', 'minimal', 'driftless', 'proposal'] : ['bare', 'minimal', 'driftless'];
  for (let round = 0; round < rounds; round++) {
    for (const name of servers) {
      const prefix = `bench-${ctx.runId}-intake-${name}`;
      const { child, url } = await startServer(ctx, name, round, secret, prefix);
      try {
        const job = { url: `${url}/webhooks/github`, body: delivery.body, headers: delivery.headers };
        await load(ctx, { ...job, connections: 50, durationS: 2 }); // warm-up: JIT, connections, Redis scripts
        const redisBefore = await redisStats(ctx);
        const cpuBefore = cpuMs(child.pid);
        const flat = await load(ctx, { ...job, connections: 50, durationS: flatS });
        const cpu = cpuMs(child.pid) - cpuBefore;
        const redisAfter = await redisStats(ctx);
        await sleep(500);
        const steady = await load(ctx, { ...job, connections: 10, durationS: steadyS, rate: 200 });
        const peakRssKb = memoryOf(child.pid)?.hwmKb ?? Number.NaN;
        const n = Math.max(flat.codes['202'] ?? 0, 1);
        const redisCalls: Record<string, number> = {};
        for (const [cmd, calls] of redisAfter.calls) {
          const d = calls - (redisBefore.calls.get(cmd) ?? 0);
          if (d > 0) redisCalls[cmd] = Math.round((d / n) * 100) / 100;
        }
        const r: ServerResult = {
          rate: accepted(flat),
          cpuPerRequestMs: cpu / n,
          redisCpuPerRequestMs: (redisAfter.cpuMs - redisBefore.cpuMs) / n,
          redisCalls,
          flat,
          steady,
          peakRssKb,
        };
        all[name].push(r);
        const other = Object.entries(flat.codes).filter(([c]) => c !== '202');
        ctx.progress(
          `intake ${name} round ${round + 1}/${rounds}: ${Math.round(r.rate)}/s p50 ${flat.latency.p50} ms p99 ${flat.latency.p99} ms; ` +
            `at 200/s p99 ${steady.latency.p99} ms; peak RSS ${Math.round(peakRssKb / 1024)} MB; CPU/delivery ${r.cpuPerRequestMs.toFixed(2)} ms + Redis ${r.redisCpuPerRequestMs.toFixed(2)} ms; Redis calls/delivery ${JSON.stringify(redisCalls)}` +
            (other.length || flat.errors ? `; non-202: ${JSON.stringify(Object.fromEntries(other))} errors ${flat.errors}` : ''),
        );
      } finally {
        await child.stop();
        await dropPrefix(ctx.redis, prefix);
      }
    }
  }
  // best of the rounds: other work on a shared 2-core machine only ever makes a round slower
  const best = (rs: ServerResult[]): ServerResult => {
    const top = rs.reduce((a, b) => (b.rate > a.rate ? b : a));
    const steadiest = rs.reduce((a, b) => (b.steady.latency.p99 < a.steady.latency.p99 ? b : a));
    return { ...top, steady: steadiest.steady, peakRssKb: Math.max(...rs.map((r) => r.peakRssKb)) };
  };
  return { driftless: best(all.driftless), minimal: best(all.minimal), bare: best(all.bare), proposal: proposalRoot ? best(all.proposal) : undefined, rounds: all };
}
