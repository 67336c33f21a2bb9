import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';
import * as yaml from 'js-yaml';
import type { HistoryEntry } from '../../src/store/history.js';
import { pushPayload, sign } from '../../test/helpers/driftless.js';
import { driftlessCommand, root } from './env.js';
import { spawnLogged, waitForLog, type Child } from './proc.js';

/** One target of a bench config. */
export interface BenchTarget {
  name: string;
  repo: string;
  cloneUrl: string;
  path: string;
  namespace: string;
  allowedNamespaces?: readonly string[];
  /** API requests in flight per sync; the product's default when unset. */
  concurrency?: number;
  /** reconcile.interval as the config writes it (`30s`); the product's default when unset. */
  reconcile?: string;
}

export interface ConfigInput {
  secret: string;
  token: string;
  /** A bearer token of /api with permission write (a person's resync), when the fixture uses one. */
  apiToken?: string;
  apiUrl: string;
  kubeconfig: string;
  redisUrl: string;
  prefix: string;
  cacheDir: string;
  targets: readonly BenchTarget[];
}

/** The parts of a config a fixture's stand-ins and the bench environment fix: everything but the targets. */
export function fixtureConfig(fx: { secret: string; token: string; github: { url: string }; prefix: string; cacheDir: string }, env: { kubeconfig: string; redisUrl: string }): Omit<ConfigInput, 'targets'> {
  return { secret: fx.secret, token: fx.token, apiUrl: fx.github.url, kubeconfig: env.kubeconfig, redisUrl: env.redisUrl, prefix: fx.prefix, cacheDir: fx.cacheDir };
}

/** Writes a driftless.yaml for the bench's processes; secrets inline, as only the bench reads it. `BENCH_SYNC_CONCURRENCY` sets `worker.syncConcurrency`. */
export function writeConfig(file: string, c: ConfigInput): string {
  const targets = c.targets
    .map(
      (t) => `  - name: ${t.name}
    repo: github:${t.repo}
    cloneUrl: ${t.cloneUrl}
    branch: main
    path: ${t.path}
    cluster: test
    namespace: ${t.namespace}
    allowedNamespaces: [${(t.allowedNamespaces ?? [t.namespace]).join(', ')}]${t.concurrency ? `\n    concurrency: ${t.concurrency}` : ''}${t.reconcile ? `\n    reconcile: { interval: ${t.reconcile} }` : ''}`,
    )
    .join('\n');
  writeFileSync(
    file,
    `providers:
  github: { webhookSecret: "${c.secret}", token: "${c.token}", apiUrl: "${c.apiUrl}" }
clusters:
  test: { kubeconfig: "${c.kubeconfig}" }
targets:
${targets}
server: { port: 0${c.apiToken ? `, apiTokens: [{ name: bench, sha256: ${createHash('sha256').update(c.apiToken).digest('hex')}, permission: write }]` : ''} }
redis: { url: "${c.redisUrl}", prefix: "${c.prefix}" }
git: { cacheDir: "${c.cacheDir}" }
${process.env.BENCH_SYNC_CONCURRENCY ? `worker: { syncConcurrency: ${process.env.BENCH_SYNC_CONCURRENCY} }\n` : ''}`,
  );
  return file;
}

export interface ProcessOptions {
  outDir: string;
  /** Write a V8 CPU profile (.cpuprofile) into outDir/profiles when the process exits. */
  profile?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Run the build in this checkout instead of this repository's dist/. */
  buildRoot?: string;
}

function nodeArgs(name: string, o: ProcessOptions): string[] {
  if (!o.profile) return [];
  const dir = path.join(o.outDir, 'profiles');
  mkdirSync(dir, { recursive: true });
  return ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}.cpuprofile`];
}

/**
 * The Node.js flags the Helm chart of the build being benched starts a component with
 * (`<component>.nodeFlags` of its values.yaml), so the bench runs it as deployed; none for a
 * build without them.
 */
export function chartNodeFlags(component: 'web' | 'worker', buildRoot = process.env.DRIFTLESS_ROOT ?? root): string[] {
  const file = path.join(buildRoot, 'helm', 'driftless', 'values.yaml');
  if (!existsSync(file)) return [];
  const values = yaml.load(readFileSync(file, 'utf8')) as Record<string, { nodeFlags?: string[] } | undefined>;
  return values[component]?.nodeFlags ?? [];
}

/** `driftless serve` in its own process; resolves once it listens, with its URL. */
export async function startServe(name: string, configFile: string, o: ProcessOptions): Promise<{ child: Child; url: string }> {
  const { args } = driftlessCommand(o.buildRoot);
  const child = spawnLogged(name, process.execPath, [...chartNodeFlags('web', o.buildRoot), ...nodeArgs(name, o), ...args, 'serve', '--config', configFile], {
    cwd: root,
    env: { ...process.env, PORT: '0', LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info', ...o.env },
    logFile: path.join(o.outDir, `${name}.log`),
  });
  const m = await waitForLog(child, /"port":(\d+)[^\n]*"msg":"listening"/);
  return { child, url: `http://127.0.0.1:${m[1]}` };
}

/** `driftless worker` in its own process; resolves once its workers run. */
export async function startWorker(name: string, configFile: string, o: ProcessOptions): Promise<Child> {
  const { args } = driftlessCommand();
  const child = spawnLogged(name, process.execPath, [...chartNodeFlags('worker', o.buildRoot), ...nodeArgs(name, o), ...args, 'worker', '--config', configFile], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info', ...o.env },
    logFile: path.join(o.outDir, `${name}.log`),
  });
  await waitForLog(child, /"msg":"workers started"/);
  return child;
}

/** A signed GitHub push delivery for a commit, as the web receives it. */
export function pushDelivery(secret: string, input: { repo: string; before?: string; after: string; paths: string[] }): { body: string; headers: Record<string, string> } {
  const body = pushPayload({ repo: input.repo, cloneUrl: 'https://example.invalid/never-used.git', before: input.before, after: input.after, paths: input.paths });
  return { body, headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': sign(secret, body) } };
}

/** POSTs a delivery with a fresh delivery id; returns the HTTP status. */
export async function post(url: string, d: { body: string; headers: Record<string, string> }): Promise<number> {
  const res = await fetch(`${url}/webhooks/github`, { method: 'POST', headers: { ...d.headers, 'x-github-delivery': randomUUID() }, body: d.body });
  await res.arrayBuffer();
  return res.status;
}

/** Newest first, as `driftless history` shows them. */
export async function history(redis: Redis, prefix: string, target: string, limit = 200): Promise<HistoryEntry[]> {
  const rows = await redis.lrange(`${prefix}:target:${target}:history`, 0, limit - 1);
  return rows.map((r) => JSON.parse(r) as HistoryEntry);
}

export async function deployedSha(redis: Redis, prefix: string, target: string): Promise<string | undefined> {
  return (await redis.hget(`${prefix}:target:${target}:state`, 'deployedSha')) ?? undefined;
}

/** Deletes every key under a prefix (queues, markers, history), in batches. */
export async function dropPrefix(redis: Redis, prefix: string): Promise<number> {
  let removed = 0;
  const stream = redis.scanStream({ match: `${prefix}:*`, count: 2000 });
  for await (const batch of stream as AsyncIterable<string[]>) {
    if (batch.length > 0) removed += await redis.unlink(...batch);
  }
  return removed;
}

export const randomHex = (bytes: number): string => randomBytes(bytes).toString('hex');
