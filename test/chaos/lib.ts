import { appendFileSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import * as yaml from 'js-yaml';
import { afterEach } from 'vitest';
import { DriftlessHarness, pushPayload, sign } from '../helpers/driftless.js';
import { startDriftless, warmUp, type DriftlessProcess } from '../helpers/process.js';

/** One row of the chaos table (test/chaos/RESULTS.md). */
export interface ChaosResult {
  case: string;
  fault: string;
  asserted: string;
  /** Milliseconds from the end of the fault to convergence, when the case measures it. */
  convergeMs?: number;
  result: 'passed';
}

/** Appends a row for `scripts/chaos-table.mjs`; only reached when every assertion before it held. */
export function recordResult(row: Omit<ChaosResult, 'result'>): void {
  const file = process.env.CHAOS_RESULTS ?? path.resolve(import.meta.dirname, '../../.testenv/chaos-results.jsonl');
  appendFileSync(file, `${JSON.stringify({ ...row, result: 'passed' })}\n`);
}

/** A copy of the test kubeconfig whose server is `host:port` (a TcpProxy in front of the API server). */
export async function kubeconfigVia(address: string): Promise<string> {
  const config = yaml.load(readFileSync(process.env.KUBECONFIG!, 'utf8')) as { clusters: { cluster: { server: string } }[] };
  for (const c of config.clusters) c.cluster.server = c.cluster.server.replace(/\/\/[^/]+/, `//${address}`);
  const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'chaos-kube-')), 'kubeconfig');
  await writeFile(file, yaml.dump(config));
  return file;
}

/** The API server's `host` and `port`, from the test kubeconfig. */
export function apiServerAddress(): { host: string; port: number } {
  const config = yaml.load(readFileSync(process.env.KUBECONFIG!, 'utf8')) as { clusters: { cluster: { server: string } }[] };
  const url = new URL(config.clusters[0]!.cluster.server);
  return { host: url.hostname, port: Number(url.port) };
}

/** Terminal (not pending) commit statuses of the target's context on `sha`. */
export function terminalStatuses(h: DriftlessHarness, sha: string, target: string) {
  return h.statuses(sha).filter((s) => s.context === `driftless/${target}` && s.state !== 'pending');
}

/** Peak resident memory of a process in MiB (VmHWM), from /proc. */
export function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

/** Whether any of these secret values appears in the captured log text. */
export function leakedSecrets(logText: string, secrets: readonly string[]): string[] {
  return secrets.filter((s) => s.length > 0 && logText.includes(s));
}

/** A target served by its own `driftless all` process, with the parts it reaches. */
export interface ChaosTarget {
  h: DriftlessHarness;
  namespace: string;
  configFile: string;
  driftless: DriftlessProcess;
  /** Commits files and delivers the signed push webhook to the Driftless process; the HTTP status and the commit. */
  push(message: string, files: Record<string, string | null>, deliveryId?: string): Promise<{ sha: string; status: number; body: string; deliveryId: string }>;
  /** Delivers a push webhook body again (a redelivery), under `deliveryId`. */
  deliver(body: string, deliveryId: string): Promise<number>;
  /** Everything every Driftless process of this case has logged. */
  logs(): string;
  /** Starts another `driftless all` on the same configuration (after a kill). */
  restart(): Promise<DriftlessProcess>;
  close(): Promise<void>;
}

/** Starts a namespace, a repository, the GitHub stand-in and `driftless all` for one chaos case. */
export async function startChaosTarget(name: string, options: { targetYaml?: string; endpoints?: Parameters<typeof DriftlessHarness.start>[0]['endpoints']; server?: string } = {}): Promise<ChaosTarget> {
  const { h, namespace } = await DriftlessHarness.startInNewNamespace(name, { inProcess: false, targetYaml: options.targetYaml, endpoints: options.endpoints });
  const configFile = path.join(await mkdtemp(path.join(os.tmpdir(), `chaos-${name}-`)), 'driftless.yaml');
  await writeFile(configFile, h.configYaml.replace('server: { port: 0 }', `server: { port: 0, shutdownGracePeriod: 1s${options.server ? `, ${options.server}` : ''} }`));
  // REDIS_URL in the environment would override the configuration's (proxied) Redis
  const env = { REDIS_URL: options.endpoints?.redisUrl ?? process.env.REDIS_URL };
  const processes: DriftlessProcess[] = [await startDriftless(configFile, { env })];
  const target: ChaosTarget = {
    h,
    namespace,
    configFile,
    get driftless() {
      return processes.at(-1)!;
    },
    logs: () => processes.flatMap((p) => p.output).join(''),
    async deliver(body, deliveryId) {
      const res = await fetch(`http://127.0.0.1:${target.driftless.port}/webhooks/github`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': deliveryId, 'x-hub-signature-256': sign(h.secret, body) },
        body,
        signal: AbortSignal.timeout(10_000),
      }).catch(() => undefined);
      await res?.arrayBuffer();
      return res?.status ?? 0;
    },
    async push(message, files, deliveryId = randomUUID()) {
      const before = await h.repo.head().catch(() => '0'.repeat(40));
      const sha = await h.repo.commit(message, files);
      const body = pushPayload({ repo: h.repoName, cloneUrl: 'https://example.invalid/x.git', before, after: sha, paths: Object.keys(files) });
      return { sha, body, deliveryId, status: await target.deliver(body, deliveryId) };
    },
    async restart() {
      const next = await startDriftless(configFile, { port: target.driftless.port, env });
      processes.push(next);
      await warmUp(next.port, h.secret);
      return next;
    },
    async close() {
      for (const p of processes) {
        if (p.child.exitCode === null && p.child.signalCode === null) {
          p.child.kill('SIGTERM');
          await Promise.race([p.exited, new Promise((r) => setTimeout(r, 5_000))]);
          p.child.kill('SIGKILL');
        }
      }
      if (process.env.SHOW_CHILD_LOGS) console.log(processes.flatMap((p) => p.output).join(''));
      await h.close();
    },
  };
  await warmUp(target.driftless.port, h.secret);
  return target;
}

/**
 * Closes what a test started (Driftless processes, proxies) after each test, newest first, so a
 * process is stopped before the proxy in front of its part.
 */
export function closedAfterEach(): <T extends { close(): Promise<void> }>(part: T) => T {
  const parts: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const part of parts.splice(0).reverse()) await part.close();
  });
  return (part) => {
    parts.push(part);
    return part;
  };
}
