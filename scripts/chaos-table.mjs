#!/usr/bin/env node
// Prints the chaos suite's table (case, fault, what was asserted, time to converge, result) from
// the rows the cases recorded, and writes it to test/chaos/RESULTS.md. A case that failed wrote
// no row: it shows as "failed" from vitest's JSON report.
//   node scripts/chaos-table.mjs <results.jsonl> <vitest.json> <seconds>
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';

const [rowsFile, reportFile, seconds] = process.argv.slice(2);
const rows = existsSync(rowsFile) ? readFileSync(rowsFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
const report = existsSync(reportFile) ? JSON.parse(readFileSync(reportFile, 'utf8')) : { testResults: [] };
// A failed case names its first error and the line of the case's own file it was thrown from
// (for a timed-out expect.poll, the poll's line), since CI shows only the end of the output.
const failure = (file, message = '') => {
  const line = message.split('\n').map((l) => l.split(`${path.basename(file)}:`)[1]).find(Boolean)?.match(/^\d+/)?.[0];
  return `${message.split('\n')[0].slice(0, 160)}${line ? ` (${path.basename(file)}:${line})` : ''}`;
};
const failed = report.testResults.flatMap((f) => f.assertionResults.filter((a) => a.status === 'failed').map((a) => ({ case: `${path.basename(f.name)}: ${a.title}`, fault: '', asserted: failure(f.name, a.failureMessages[0]), result: 'failed' })));
const cell = (s) => String(s ?? '').replaceAll('|', '\\|');
const lines = [
  '| case | fault | what was asserted | time to converge | result |',
  '| --- | --- | --- | --- | --- |',
  ...[...rows, ...failed].map((r) => `| ${cell(r.case)} | ${cell(r.fault)} | ${cell(r.asserted)} | ${r.convergeMs === undefined ? '' : `${(r.convergeMs / 1000).toFixed(1)} s`} | ${r.result} |`),
];
const table = lines.join('\n');
process.stdout.write(`${table}\n`);
const passed = rows.length;
process.stdout.write(`\nchaos suite (${seconds} s): ${passed} cases passed, ${failed.length} failed\n`);
const header = `# Chaos suite results\n\n\`make chaos\` on ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores, Node ${process.version}, ${seconds} s in all. Each case injects one fault into real parts (see test/chaos/); "time to converge" runs from the end of the fault (or the restart, or the push for slow parts) to the commit's terminal status.\n\n`;
writeFileSync(path.resolve(import.meta.dirname, '../test/chaos/RESULTS.md'), `${header}${table}\n`);
