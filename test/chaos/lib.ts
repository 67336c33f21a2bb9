import { appendFileSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as yaml from 'js-yaml';
import type { DriftlessHarness } from '../helpers/driftless.js';

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
