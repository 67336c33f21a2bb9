// Summarizes a V8 .cpuprofile (from `node --cpu-prof`, as `bench/run.ts --profile` writes them):
// self time by function and by package, so a row's limit can be named from evidence.
//   node --import tsx bench/lib/profile.ts bench/.out/<run>/profiles/worker.cpuprofile [--top 30]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { root } from './env.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  byFunction: { name: string; ms: number }[];
  byPackage: { name: string; ms: number }[];
}

/** Where code lives: a package, Driftless's own source, node internals, or V8's bookkeeping. */
function packageOf(url: string, functionName: string): string {
  if (!url) return `(${functionName || 'native'})`;
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return url;
  const file = url.replace(/^file:\/\//, '');
  return path.relative(root, file) || file;
}

export function summarize(file: string): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  const fn = new Map<string, number>();
  const pkg = new Map<string, number>();
  let idleMs = 0;
  let totalMs = 0;
  for (const [id, ms] of self) {
    const n = byId.get(id)!;
    const { functionName, url, lineNumber } = n.callFrame;
    totalMs += ms;
    if (functionName === '(idle)') {
      idleMs += ms;
      continue;
    }
    const where = packageOf(url, functionName);
    const nm = url.lastIndexOf('node_modules/');
    const file = nm >= 0 ? url.slice(nm + 'node_modules/'.length) : where;
    const name = `${functionName || '(anonymous)'} ${file}${url ? `:${lineNumber + 1}` : ''}`;
    fn.set(name, (fn.get(name) ?? 0) + ms);
    pkg.set(where, (pkg.get(where) ?? 0) + ms);
  }
  const sorted = (m: Map<string, number>) => [...m].map(([name, ms]) => ({ name, ms })).sort((a, b) => b.ms - a.ms);
  return { totalMs, idleMs, byFunction: sorted(fn), byPackage: sorted(pkg) };
}

if (import.meta.filename === process.argv[1]) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
  const top = Number(values.top);
  for (const file of positionals) {
    const s = summarize(file);
    const busy = s.totalMs - s.idleMs;
    console.log(`${file}: ${Math.round(s.totalMs)} ms profiled, ${Math.round(busy)} ms on CPU (${((busy / s.totalMs) * 100).toFixed(0)}%)`);
    console.log('\nself time by package / file:');
    for (const e of s.byPackage.slice(0, top)) console.log(`  ${e.ms.toFixed(0).padStart(7)} ms ${((e.ms / busy) * 100).toFixed(1).padStart(5)}%  ${e.name}`);
    console.log('\nself time by function:');
    for (const e of s.byFunction.slice(0, top)) console.log(`  ${e.ms.toFixed(0).padStart(7)} ms ${((e.ms / busy) * 100).toFixed(1).padStart(5)}%  ${e.name}`);
    console.log();
  }
}
