import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { HistoryEntry } from '../../src/store/history.js';
import { GitHubStandIn } from '../../test/helpers/github-standin.js';
import { GitHttpServer, TestRepo } from '../../test/helpers/git.js';
import type { BenchContext } from './context.js';
import { dropPrefix, history, post, pushDelivery, randomHex, startServe, startWorker, fixtureConfig, writeConfig, type BenchTarget } from './driftless.js';
import type { Child } from './proc.js';
import { median, until } from './stats.js';

export interface FleetOptions {
  /** Names this fleet's Redis prefix, config file, logs, repository and namespaces. */
  name: string;
  targets: number;
  /** Every target's reconcile.interval (`30s`); the product's default when unset. */
  reconcile?: string;
  /** One namespace for every target instead of one each. */
  sharedNamespace?: string;
  /** A repository per target (`bench/<name>-<id>`, holding only its folder) instead of one monorepo. */
  repoPerTarget?: boolean;
}

/** When all of a push's targets had recorded their sync. */
export interface FleetDone {
  /** Wall clock (ms since the epoch) of the last sync recorded. */
  lastFinishedWall: number;
  /** Per-sync durations from pick-up to recorded, ms. */
  syncMs: number[];
  /** Median of each stage over the syncs (history timings), ms. */
  stages: Record<string, number>;
  /** Attempts that errored (a transient failure, retried by the queue) before the syncs succeeded. */
  errored: number;
}

/**
 * Many targets of one repository (`t-0000/`, `t-0001/`, …; a monorepo, as Flux's benchmark has one
 * GitRepository for its Kustomizations), or of a repository each (`repoPerTarget`), with the real deploy path: git over smart HTTP, the
 * GitHub stand-in, and `driftless serve` / `driftless worker` as separate processes that the row
 * starts when it wants to time their start.
 */
export class FleetFixture {
  readonly secret = randomHex(16);
  readonly token = randomHex(12);
  readonly prefix: string;
  readonly repoName: string;
  readonly targets: BenchTarget[] = [];
  configFile!: string;
  cloneUrl!: string;
  repo!: TestRepo;
  /** Each target's repository: `repo` for all of them, or one each with `repoPerTarget`. */
  readonly repos = new Map<string, TestRepo>();
  git!: GitHttpServer;
  github!: GitHubStandIn;
  web?: { child: Child; url: string };
  worker?: Child;
  cacheDir!: string;

  private constructor(
    private readonly ctx: BenchContext,
    readonly options: FleetOptions,
  ) {
    this.prefix = `bench-${ctx.runId}-${options.name}`;
    this.repoName = `bench/${options.name}`;
  }

  static async start(ctx: BenchContext, options: FleetOptions): Promise<FleetFixture> {
    const fx = new FleetFixture(ctx, options);
    fx.git = await GitHttpServer.start({ token: fx.token });
    fx.github = await GitHubStandIn.start({ token: fx.token });
    fx.cacheDir = await mkdtemp(path.join(os.tmpdir(), 'driftless-bench-cache-'));
    fx.repo = await TestRepo.create();
    fx.cloneUrl = fx.git.add(fx.repo, fx.repoName);
    for (let i = 0; i < options.targets; i++) {
      const id = String(i).padStart(4, '0');
      const name = `${options.name}-${id}`;
      const repo = options.repoPerTarget ? await TestRepo.create() : fx.repo;
      const repoName = options.repoPerTarget ? `bench/${name}` : fx.repoName;
      fx.repos.set(name, repo);
      fx.targets.push({
        name,
        repo: repoName,
        cloneUrl: options.repoPerTarget ? fx.git.add(repo, repoName) : fx.cloneUrl,
        path: `t-${id}`,
        namespace: options.sharedNamespace ?? `bench-${options.name}-${id}`,
        concurrency: ctx.concurrency,
        reconcile: options.reconcile,
      });
    }
    fx.configFile = writeConfig(path.join(ctx.outDir, `${options.name}.yaml`), { ...fixtureConfig(fx, ctx.env), targets: fx.targets });
    return fx;
  }

  get namespaces(): string[] {
    return [...new Set(this.targets.map((t) => t.namespace))];
  }

  /** Creates the targets' namespaces (and empties them of `sets` of earlier runs). */
  async prepareNamespaces(sets: readonly string[]): Promise<void> {
    await Promise.all(this.namespaces.map((ns) => this.ctx.admin.ensureNamespace(ns)));
    await this.ctx.admin.deleteSets(this.namespaces, sets);
  }

  async startWeb(): Promise<{ child: Child; url: string }> {
    this.web = await startServe(`${this.options.name}-web`, this.configFile, { outDir: this.ctx.outDir, profile: this.ctx.profile });
    // the first fetch() of a process sets up its HTTP client: not part of any measurement
    await fetch(`${this.web.url}/healthz`).then((r) => r.arrayBuffer());
    return this.web;
  }

  async startWorker(): Promise<Child> {
    this.worker = await startWorker(`${this.options.name}-worker`, this.configFile, { outDir: this.ctx.outDir, profile: this.ctx.profile });
    return this.worker;
  }

  /**
   * Commits every target's files at once (`files(target path)` gives one target's, paths relative
   * to it) and sends one signed push webhook naming a changed file in every target's folder; with
   * a repository per target, a commit and a webhook per repository (`shas` by target).
   */
  async commitAndPush(message: string, files: (dir: string) => Record<string, string>): Promise<{ sha: string; shas: Map<string, string>; postedAt: number; postedWall: number }> {
    if (this.options.repoPerTarget) return this.commitAndPushEach(message, files);
    const all: Record<string, string> = {};
    const changed: string[] = [];
    for (const t of this.targets) {
      const own = files(t.path);
      Object.assign(all, own);
      changed.push(Object.keys(own)[0]!);
    }
    const before = await this.repo.head().catch(() => undefined);
    const sha = await this.repo.commit(message, all);
    const delivery = pushDelivery(this.secret, { repo: this.repoName, before, after: sha, paths: changed });
    const postedWall = Date.now();
    const postedAt = performance.now();
    const status = await post(this.web!.url, delivery);
    if (status !== 202) throw new Error(`push of ${sha.slice(0, 7)} to the ${this.options.name} fleet answered ${status}`);
    return { sha, shas: new Map(this.targets.map((t) => [t.name, sha])), postedAt, postedWall };
  }

  private async commitAndPushEach(message: string, files: (dir: string) => Record<string, string>) {
    // from before the commits: a target's scheduled reconcile may deploy its new head before its webhook
    const postedWall = Date.now();
    const postedAt = performance.now();
    const commits = await Promise.all(
      this.targets.map(async (t) => {
        const repo = this.repos.get(t.name)!;
        const own = files(t.path);
        const before = await repo.head().catch(() => undefined);
        const sha = await repo.commit(message, own);
        return { t, sha, delivery: pushDelivery(this.secret, { repo: t.repo, before, after: sha, paths: Object.keys(own).slice(0, 1) }) };
      }),
    );
    for (const c of commits) {
      const status = await post(this.web!.url, c.delivery);
      if (status !== 202) throw new Error(`push of ${c.sha.slice(0, 7)} to ${c.t.name} answered ${status}`);
    }
    return { sha: commits[0]!.sha, shas: new Map(commits.map((c) => [c.t.name, c.sha])), postedAt, postedWall };
  }

  /**
   * Waits until every target recorded a successful sync of `sha` (or its own, by target name) that
   * started after `sinceWall`. An errored attempt is waited past (the queue retries it) and
   * counted; a failed one throws.
   */
  async allSucceeded(shas: string | ReadonlyMap<string, string>, sinceWall: number, timeoutMs: number): Promise<FleetDone> {
    const shaOf = (target: string) => (typeof shas === 'string' ? shas : shas.get(target)!);
    const sha = shaOf(this.targets[0]!.name);
    const done = new Map<string, HistoryEntry>();
    const errored = new Set<string>();
    return until(
      `${this.targets.length} syncs of ${sha.slice(0, 7)} (${this.options.name})`,
      timeoutMs,
      async () => {
        const open = this.targets.filter((t) => !done.has(t.name));
        const histories = await Promise.all(open.map((t) => history(this.ctx.redis, this.prefix, t.name, 20)));
        open.forEach((t, i) => {
          const ours = histories[i]!.filter((h) => h.revision === shaOf(t.name) && h.startedAt >= sinceWall - 5 && h.result !== 'superseded');
          for (const e of ours) if (e.result === 'errored') errored.add(`${t.name}@${e.startedAt}`);
          const e = ours[0];
          if (e?.result === 'succeeded') done.set(t.name, e);
          else if (e && e.result !== 'errored') throw new Error(`${t.name}: sync of ${shaOf(t.name).slice(0, 7)} ${e.result}: ${e.message ?? ''}`);
        });
        if (done.size < this.targets.length) return undefined;
        const entries = [...done.values()];
        const stageRuns: Record<string, number[]> = {};
        for (const e of entries) for (const [stage, ms] of Object.entries(e.timings)) (stageRuns[stage] ??= []).push(ms);
        return {
          lastFinishedWall: Math.max(...entries.map((e) => e.finishedAt)),
          syncMs: entries.map((e) => e.finishedAt - e.startedAt),
          stages: Object.fromEntries(Object.entries(stageRuns).map(([stage, v]) => [stage, Math.round(median(v))])),
          errored: errored.size,
        };
      },
      250,
    );
  }

  /** Stops the processes (which writes their CPU profiles), keeping the servers for another start. */
  async stopProcesses(): Promise<void> {
    await this.web?.child.stop();
    await this.worker?.stop();
    this.web = undefined;
    this.worker = undefined;
  }

  async close(): Promise<void> {
    await this.stopProcesses();
    await this.github?.close();
    await this.git?.close();
    await this.repo?.remove();
    for (const repo of new Set(this.repos.values())) await repo.remove();
    if (this.cacheDir) await rm(this.cacheDir, { recursive: true, force: true });
    await dropPrefix(this.ctx.redis, this.prefix);
  }
}
