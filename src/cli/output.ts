import { dump } from 'js-yaml';

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
