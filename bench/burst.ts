// Row 5: 50 pushes in 5 s to one target (a webhook every 100 ms, each commit changing one ConfigMap),
// through the real web and worker. The branch moves with each push, as it does on a git host, so a
// sync that starts mid-burst finds an older head than the last commit. Counted: syncs that applied (history entries "succeeded"),
// whether the last commit is what runs, and terminal commit statuses in the GitHub stand-in.
// Baseline: a CI job per push applies 50 times; its time is 50 runs of row 2's CI job.
import type { BenchContext } from './lib/context.js';
import { targets, type DeployFixture } from './lib/fixture.js';
import { revAnnotation } from './lib/kube.js';
import { asFiles, objectSet } from './lib/manifests.js';
import { sleep, until } from './lib/stats.js';
import { getObject } from '../src/kube/objects.js';

export interface BurstResult {
  pushes: number;
  /** Seconds from the first POST to the last. */
  spanS: number;
  applies: number;
  superseded: number;
  lastDeployed: boolean;
  /** Commits with a terminal status (success, failure or error; superseded ones are success). */
  terminal: number;
  /** From the first POST until the last commit's sync was recorded, ms. */
  settleMs: number;
  /** From the first POST until every commit had its terminal status, ms (GitHub allows about one write a second). */
  statusesMs: number;
}

const terminalStates = new Set(['success', 'failure', 'error']);

export async function benchBurst(ctx: BenchContext, fx: DeployFixture): Promise<BurstResult> {
  const pushes = 50;
  // the 50 commits first (git is slow on a busy machine), the branch put back, then per push the
  // branch moved to its commit and the webhook sent, every 100 ms: what Driftless sees is 50 pushes in 5 s
  const repo = fx.repo('app');
  const commits: { sha: string; before: string; rev: string }[] = [];
  const start0 = await repo.head();
  let before = start0;
  for (let i = 0; i < pushes; i++) {
    const rev = `burst-${ctx.runId}-${i}`;
    // one ConfigMap changes per commit: configmap-0000 of the 50-object set
    const sha = await fx.commit('app', `burst ${i}`, asFiles(objectSet({ count: 1, set: 'app', rev, dir: targets.app.path })));
    commits.push({ sha, before, rev });
    before = sha;
  }
  await repo.git(['update-ref', 'refs/heads/main', start0]);
  const startWall = Date.now();
  const start = performance.now();
  const shas: string[] = [];
  for (const [i, c] of commits.entries()) {
    const wait = start + i * 100 - performance.now();
    if (wait > 0) await sleep(wait);
    await repo.git(['update-ref', 'refs/heads/main', c.sha]);
    await fx.push('app', c.sha, [`${targets.app.path}/configmap-0000.yaml`], c.before);
    shas.push(c.sha);
  }
  const rev = commits.at(-1)!.rev;
  const spanS = (performance.now() - start) / 1000;
  const last = shas.at(-1)!;
  ctx.progress(`burst: ${pushes} pushes in ${spanS.toFixed(1)} s; waiting for the worker`);

  const context = `driftless/${targets.app.name}`;
  const terminalCount = () => shas.filter((sha) => fx.github.statuses(targets.app.repo, sha).some((s) => s.context === context && terminalStates.has(s.state))).length;
  const lastEntry = await fx.finished('app', last, startWall, 120_000);
  // 50 terminal statuses take at least 50 s at GitHub's one write a second (providers.github.writeInterval)
  await until('a terminal status for every pushed commit', 120_000, () => (terminalCount() === pushes ? true : undefined), 100).catch(() => undefined);
  const statusesMs = Date.now() - startWall;
  const entries = (await fx.history('app')).filter((h) => h.startedAt >= startWall - 5);
  const applies = entries.filter((h) => h.result === 'succeeded').length;
  const superseded = entries.filter((h) => h.result === 'superseded').length;
  const live = await getObject(ctx.admin.client, ctx.admin.info('ConfigMap'), targets.app.namespace, 'configmap-0000');
  const deployed = await ctx.redis.hget(`${fx.prefix}:target:${targets.app.name}:state`, 'deployed');
  const lastDeployed = deployed === last && live?.metadata.annotations?.[revAnnotation] === rev;
  const r: BurstResult = { pushes, spanS, applies, superseded, lastDeployed, terminal: terminalCount(), settleMs: lastEntry.finishedAt - startWall, statusesMs };
  ctx.progress(`burst: ${applies} applies, ${superseded} superseded, last sha deployed: ${lastDeployed}, ${r.terminal}/${pushes} terminal statuses after ${statusesMs} ms, settled after ${r.settleMs} ms`);
  return r;
}
