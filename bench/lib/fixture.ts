import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { HistoryEntry } from '../../src/store/history.js';
import { GitHubStandIn } from '../../test/helpers/github-standin.js';
import { GitHttpServer, TestRepo } from '../../test/helpers/git.js';
import type { BenchContext } from './context.js';
import { dropPrefix, history, post, pushDelivery, randomHex, startServe, startWorker, fixtureConfig, writeConfig, type BenchTarget } from './driftless.js';
import { SetWatch } from './kube.js';
import type { Child } from './proc.js';
import { until } from './stats.js';

/** Namespaces of the 1,000-object rows: Driftless's and kubectl's, so both start from nothing. */
export const bulkNamespaces = (tool: 'dl' | 'kc') => Array.from({ length: 10 }, (_, i) => `bench-${tool}-${i}`);

/** The two targets the deploy rows use: 50 objects (rows 2 and 5) and 1,000 objects (rows 3 and 4). */
export const targets = {
  app: { name: 'bench-push', repo: 'bench/app', path: 'deploy', namespace: 'bench-push' },
  bulk: { name: 'bench-bulk', repo: 'bench/bulk', path: 'bulk', namespace: 'bench-dl-0', allowedNamespaces: bulkNamespaces('dl') },
} as const;
export type TargetKey = keyof typeof targets;

/** A pushed commit: its sha, and when (performance.now() and wall clock) the webhook was sent. */
export interface Pushed {
  sha: string;
  postedAt: number;
  postedWall: number;
  status: number;
}

/**
 * The real deploy path, as in production: git over smart HTTP with token auth, the GitHub API
 * stand-in, `driftless serve` and `driftless worker` as separate processes on the test Redis
 * and API server, and watches that time-stamp every change to the bench objects.
 */
export class DeployFixture {
  readonly secret = randomHex(16);
  readonly token = randomHex(12);
  /** The bearer token of /api that asks for resyncs (`server.apiTokens`, permission write). */
  readonly apiToken = randomHex(16);
  readonly prefix: string;
  readonly repos = new Map<TargetKey, TestRepo>();
  readonly cloneUrls = new Map<TargetKey, string>();
  git!: GitHttpServer;
  github!: GitHubStandIn;
  web!: { child: Child; url: string };
  worker!: Child;
  watch!: SetWatch;
  cacheDir!: string;

  private constructor(private readonly ctx: BenchContext) {
    this.prefix = `bench-${ctx.runId}-deploy`;
  }

  static async start(ctx: BenchContext): Promise<DeployFixture> {
    const fx = new DeployFixture(ctx);
    fx.git = await GitHttpServer.start({ token: fx.token });
    fx.github = await GitHubStandIn.start({ token: fx.token });
    fx.cacheDir = await mkdtemp(path.join(os.tmpdir(), 'driftless-bench-cache-'));
    const benchTargets: BenchTarget[] = [];
    for (const key of Object.keys(targets) as TargetKey[]) {
      const t = targets[key];
      const repo = await TestRepo.create();
      fx.repos.set(key, repo);
      fx.cloneUrls.set(key, fx.git.add(repo, t.repo));
      // the rows measure a push's deploy: a scheduled reconcile (at the target's offset in its
      // interval) could deploy a commit made before the baseline ran, and its push would find it
      // applied (row 3 on a slow machine timed out so); a day's interval keeps the schedule out
      benchTargets.push({ ...t, cloneUrl: fx.cloneUrls.get(key)!, concurrency: ctx.concurrency, reconcile: '24h' });
    }
    const config = writeConfig(path.join(ctx.outDir, 'deploy.yaml'), { ...fixtureConfig(fx, ctx.env), apiToken: fx.apiToken, targets: benchTargets });
    fx.watch = await SetWatch.start(ctx.admin);
    fx.web = await startServe('web', config, { outDir: ctx.outDir, profile: ctx.profile });
    fx.worker = await startWorker('worker', config, { outDir: ctx.outDir, profile: ctx.profile });
    // the first fetch() of a process sets up its HTTP client: not part of any measurement
    await fetch(`${fx.web.url}/healthz`).then((r) => r.arrayBuffer());
    return fx;
  }

  repo(key: TargetKey): TestRepo {
    return this.repos.get(key)!;
  }

  /** Commits files to a target's repository. */
  async commit(key: TargetKey, message: string, files: Record<string, string | null>): Promise<string> {
    return this.repo(key).commit(message, files);
  }

  /** Sends the signed push webhook for a commit (again, with a fresh delivery id, if it was sent before). */
  async push(key: TargetKey, sha: string, paths: string[], before?: string): Promise<Pushed> {
    const delivery = pushDelivery(this.secret, { repo: targets[key].repo, before, after: sha, paths: paths.slice(0, 20) });
    const postedWall = Date.now();
    const postedAt = performance.now();
    const status = await post(this.web.url, delivery);
    if (status !== 202) throw new Error(`push of ${sha.slice(0, 7)} to ${targets[key].name} answered ${status}`);
    return { sha, postedAt, postedWall, status };
  }

  /**
   * A person's resync of the target's branch head, as the dashboard's and `/sync`'s action does:
   * `POST /api/targets/<name>/sync`. A push of a commit already applied is not one: branch truth
   * finds the head applied and leaves it (only the schedule plans it against the cluster).
   */
  async resync(key: TargetKey): Promise<{ postedWall: number }> {
    const postedWall = Date.now();
    const res = await fetch(`${this.web.url}/api/targets/${targets[key].name}/sync`, { method: 'POST', headers: { authorization: `Bearer ${this.apiToken}` } });
    if (res.status !== 202) throw new Error(`resync of ${targets[key].name} answered ${res.status}: ${await res.text()}`);
    return { postedWall };
  }

  /** Commits and pushes: the developer's `git push` and GitHub's webhook. */
  async commitAndPush(key: TargetKey, message: string, files: Record<string, string | null>): Promise<Pushed> {
    const repo = this.repo(key);
    const before = await repo.head().catch(() => undefined);
    const sha = await repo.commit(message, files);
    return this.push(key, sha, Object.keys(files), before);
  }

  history(key: TargetKey): Promise<HistoryEntry[]> {
    return history(this.ctx.redis, this.prefix, targets[key].name);
  }

  /** The history entry of a sync of `sha` that started after `sinceWall`, once it is recorded. */
  finished(key: TargetKey, sha: string, sinceWall: number, timeoutMs: number): Promise<HistoryEntry> {
    return until(`the sync of ${sha.slice(0, 7)} (${targets[key].name})`, timeoutMs, async () => {
      const e = (await this.history(key)).find((h) => h.revision === sha && h.startedAt >= sinceWall - 5 && h.result !== 'superseded');
      if (e && e.result !== 'succeeded') throw new Error(`sync of ${sha.slice(0, 7)} ${e.result}: ${e.message ?? ''}`);
      return e;
    });
  }

  async close(): Promise<void> {
    this.watch?.close();
    await this.web?.child.stop();
    await this.worker?.stop();
    await this.github?.close();
    await this.git?.close();
    for (const r of this.repos.values()) await r.remove();
    if (this.cacheDir) await rm(this.cacheDir, { recursive: true, force: true });
    await dropPrefix(this.ctx.redis, this.prefix);
  }
}
