import { dump } from 'js-yaml';
import { UsageError } from './usage.js';

/** How a read-only command prints its result: `human` (the default, for people), `json` or `yaml` (for scripts). */
export type OutputFormat = 'human' | 'json' | 'yaml';

/**
 * The value of `-o`/`--output`: none is `human`; anything but `json` or `yaml` is a usage
 * mistake, described in `error` for the CLI to print with its usage.
 */
export function parseOutputFormat(value: string | undefined): { format: OutputFormat } | { error: string } {
  if (value === undefined) return { format: 'human' };
  if (value === 'json' || value === 'yaml') return { format: value };
  return { error: `-o/--output takes json or yaml, got ${JSON.stringify(value)}` };
}

/**
 * A result as JSON (two-space indent) or YAML (multi-line strings such as diffs as literal
 * blocks, no anchors, no line folding), ending with a newline. `value` must be plain data.
 */
export function formatData(value: unknown, format: 'json' | 'yaml'): string {
  return format === 'json' ? `${JSON.stringify(value, null, 2)}\n` : dump(value, { noRefs: true, lineWidth: -1, skipInvalid: true });
}

/** The `-o`/`--output` of a command line; anything but json or yaml is a usage error. */
export function outputFormat(value: string | undefined): OutputFormat {
  const parsed = parseOutputFormat(value);
  if ('error' in parsed) throw new UsageError(parsed.error);
  return parsed.format;
}

/** A multi-line failure (`plan failed for 2 objects:` then one line each) on one line, objects included. */
export function oneLine(text: string, max = 400): string {
  const line = text.replace(/\s*\n\s*(- )?/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

/** Writes one line of a command's answer to stdout. */
export function printLine(text: string): void {
  process.stdout.write(`${text}\n`);
}
