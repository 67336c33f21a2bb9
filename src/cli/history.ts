import { createReadRuntime } from '../runtime.js';
import { configure, targetOf } from './context.js';
import { formatData, oneLine, printLine } from './output.js';
import type { CommandLine } from './usage.js';

/** `history`: the target's syncs, newest first; JSON/YAML: the HistoryEntry list (times in Unix milliseconds). */
export async function history(line: CommandLine): Promise<number> {
  const { config, format, log } = await configure(line, 'stderr');
  const t = targetOf(config, line.options.target);
  const limit = Number(line.options.limit ?? 20);
  const rt = createReadRuntime(config, log);
  try {
    const entries = await rt.history.list(t.name, limit);
    if (format !== 'human') {
      process.stdout.write(formatData(entries, format));
      return 0;
    }
    if (entries.length === 0) printLine(`${t.name}: no syncs recorded`);
    for (const e of entries) {
      const when = new Date(e.finishedAt).toISOString();
      const what = e.summary ? Object.entries(e.summary).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ') : '';
      printLine(`${when}  ${e.revision.slice(0, 7)}  ${e.result.padEnd(10)} ${e.reason && e.result !== 'succeeded' ? `${e.reason} ` : ''}${e.trigger.kind}/${e.trigger.actor}  ${what}${e.message ? `  ${oneLine(e.message)}` : ''}`);
    }
    return 0;
  } finally {
    await rt.close();
  }
}
