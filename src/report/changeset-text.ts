import { describeSummary, summarize, type Change } from '../sync/changeset.js';

/** The ChangeSet for a terminal: one line per object, then the diffs when asked for. */
export function formatChanges(changes: readonly Change[], options: { diffs?: boolean; unchanged?: boolean } = {}): string {
  const lines: string[] = [];
  for (const c of changes) {
    if (c.action === 'unchanged' && !options.unchanged) continue;
    const why = [c.file, c.reason].filter(Boolean).join(': ');
    const detail = why ? `  (${why})` : '';
    lines.push(`${c.action.padEnd(10)} ${c.subject}${detail}`);
  }
  lines.push(describeSummary(summarize(changes)));
  if (options.diffs) {
    for (const c of changes) if (c.diff) lines.push('', c.diff.trimEnd());
  }
  return lines.join('\n');
}
