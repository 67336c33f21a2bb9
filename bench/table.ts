import { writeFileSync } from 'node:fs';
import type { Machine } from './lib/env.js';

/** One line of the table: a measured figure, its same-run baseline and the goal. */
export interface Row {
  metric: string;
  driftless: string;
  baseline: string;
  ratio: string;
  goal: string;
  met: boolean;
}

const escape = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');

export function markdownTable(rows: readonly Row[]): string {
  const lines = ['| metric | driftless | baseline | ratio | goal | met |', '| --- | --- | --- | --- | --- | --- |'];
  for (const r of rows) lines.push(`| ${[r.metric, r.driftless, r.baseline, r.ratio, r.goal, r.met ? 'yes' : 'no'].map(escape).join(' | ')} |`);
  return lines.join('\n');
}

export interface Report {
  date: Date;
  machine: Machine;
  /** Load averages (1, 5, 15 min) at the start and at the end of the run. */
  load: { start: string; end: string };
  durationS: number;
  command: string;
  /** Whether the environment ran the controllers (Deployments roll out). */
  controllers: boolean;
  /** The commit benchmarked, and whether the working tree had changes. */
  revision: string;
  rows: readonly Row[];
  notes: readonly string[];
}

export function renderResults(r: Report): string {
  const m = r.machine;
  return `# Benchmark results

Produced by \`${r.command}\` (bench/run.ts); every baseline was measured in the same run, on the
same machine, against the same local kube-apiserver and Redis of \`scripts/testenv\`.

- date: ${r.date.toISOString()}
- revision: ${r.revision}
- machine: ${m.cores} cores (${m.cpu}), ${m.memoryGb} GiB memory, Linux ${m.kernel}
- Node ${m.node}, Kubernetes ${m.kubernetes} (kube-apiserver + etcd${r.controllers ? ', kube-controller-manager, kube-scheduler, kwok' : ', no controllers'}), Redis ${m.redis}
- load average (1/5/15 min): ${r.load.start} at the start, ${r.load.end} at the end; the machine is shared with other builds and tests
- run time: ${Math.round(r.durationS)} s

${markdownTable(r.rows)}

## Notes

${r.notes.map((n) => `- ${n}`).join('\n')}
`;
}

export function writeResults(file: string, r: Report): void {
  writeFileSync(file, renderResults(r));
}
