import {
  FAILSAFE_SCHEMA,
  NOT_RESOLVED,
  Schema,
  YAMLException,
  boolYaml11Tag,
  floatYaml11Tag,
  intYaml11Tag,
  loadAll,
  mergeTag,
  nullYaml11Tag,
} from 'js-yaml';
import type { ScalarTagDefinition } from 'js-yaml';
import type { ObjectProblem } from '../../errors.js';

/** YAML 1.1 scalars without sexagesimal numbers, which kubectl's YAML decoder (go-yaml v2) does not read either. */
function withoutSexagesimal<T>(tag: ScalarTagDefinition<T>): ScalarTagDefinition<T> {
  return { ...tag, resolve: (source, explicit, name) => (source.includes(':') ? NOT_RESOLVED : tag.resolve(source, explicit, name)) };
}

/**
 * Scalars resolve the way kubectl reads them (go-yaml v2, YAML 1.1): `defaultMode: 0644` is the
 * octal 420 and `on`/`yes` are booleans. Timestamps stay strings, as they do in kubectl, and
 * `12:30` is not the number 750.
 */
export const KUBERNETES_YAML_SCHEMA = new Schema([
  ...FAILSAFE_SCHEMA.tags,
  nullYaml11Tag,
  boolYaml11Tag,
  withoutSexagesimal(intYaml11Tag),
  withoutSexagesimal(floatYaml11Tag),
  mergeTag,
]);

/** Deepest nesting of collections in the text (js-yaml's own default, made explicit). */
const MAX_SOURCE_DEPTH = 100;
/** Deepest nesting once aliases are expanded; deeper than any real object, shallow enough for the stack. */
const MAX_EXPANDED_DEPTH = 1000;
/** Keys that merge (`<<`) may copy per text; js-yaml's default, made explicit. */
const MAX_MERGE_KEYS = 10_000;

/** Why a text's documents were refused before they were expanded. */
class ExpansionRefused extends Error {}

/**
 * How much text `value` would take to write out with every alias expanded, in bytes: one per
 * node plus the characters of every key and string. Never more than the size of a text without
 * aliases, so a file within the byte budget only fails this when aliases (or merge keys) blow it
 * up. Computed without expanding: js-yaml builds an alias as a second reference to the anchored
 * node, so each node is sized once (memoised by identity) and a "billion laughs" file costs as
 * many steps as it has nodes. Sizes saturate at `limit + 1`. Throws ExpansionRefused for a node
 * that contains itself or nests deeper than MAX_EXPANDED_DEPTH.
 */
function expandedSize(value: unknown, limit: number, sizes = new Map<object, number>(), open = new Set<object>(), depth = 0): number {
  if (value === null || typeof value !== 'object') return typeof value === 'string' ? Math.max(value.length, 1) : 1;
  const known = sizes.get(value);
  if (known !== undefined) return known;
  if (open.has(value)) throw new ExpansionRefused('an alias refers to a node that contains it');
  if (depth >= MAX_EXPANDED_DEPTH) throw new ExpansionRefused(`nested more than ${MAX_EXPANDED_DEPTH} levels deep once aliases are expanded`);
  open.add(value);
  let size = 1;
  const entries: [string, unknown][] = Array.isArray(value) ? value.map((item) => ['', item]) : Object.entries(value);
  for (const [key, item] of entries) {
    size += key.length + expandedSize(item, limit, sizes, open, depth + 1);
    if (size > limit) {
      size = limit + 1;
      break;
    }
  }
  open.delete(value);
  sizes.set(value, size);
  return size;
}

/** Parsed documents and their size with aliases expanded (see expandedSize), in bytes. */
export interface ParsedDocuments {
  documents: unknown[];
  expandedBytes: number;
}

/**
 * Parses every document of a YAML (or JSON) text whose aliases may expand it to at most
 * `maxBytes`. Returns the documents, deep-copied so that aliases never share objects
 * (mutating one object's labels later must not change another field), and their expanded size; or
 * a problem naming the file (with line and column for a syntax error). The size is checked on the
 * parsed, unexpanded form, so an alias bomb is refused after a few milliseconds and a few KiB.
 */
export function parseDocuments(text: string, source: string, maxBytes: number): ParsedDocuments | { problem: ObjectProblem } {
  const refuse = (message: string) => ({ problem: { subject: source, source, message } });
  let documents: unknown[];
  try {
    documents = loadAll(text, {
      schema: KUBERNETES_YAML_SCHEMA,
      filename: source,
      // JSON.parse semantics for .json files: a repeated key overrides instead of failing
      json: source.toLowerCase().endsWith('.json'),
      maxDepth: MAX_SOURCE_DEPTH,
      maxTotalMergeKeys: MAX_MERGE_KEYS,
    });
  } catch (err) {
    if (err instanceof YAMLException && err.mark) {
      const { line, column } = err.mark;
      return refuse(`invalid YAML at line ${line + 1}, column ${column + 1}: ${err.reason}`);
    }
    return refuse(`invalid YAML: ${err instanceof Error ? err.message : String(err)}`);
  }
  const normalized = documents.map((doc) => (doc === undefined ? null : doc));
  let expandedBytes = 0;
  try {
    const sizes = new Map<object, number>();
    for (const doc of normalized) expandedBytes = Math.min(expandedBytes + expandedSize(doc, maxBytes, sizes), maxBytes + 1);
  } catch (err) {
    if (err instanceof ExpansionRefused) return refuse(`invalid YAML: ${err.message}`);
    throw err;
  }
  if (expandedBytes > maxBytes) {
    return refuse(`YAML aliases expand this file to more than ${formatBytes(maxBytes)} (renderLimits.maxFileBytes)`);
  }
  return { documents: normalized.map((doc) => JSON.parse(JSON.stringify(doc)) as unknown), expandedBytes };
}

/** `512 B`, `4 KiB`, `1.5 MiB`: sizes in messages. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const [value, unit] = bytes < 1024 * 1024 ? [bytes / 1024, 'KiB'] : [bytes / (1024 * 1024), 'MiB'];
  return `${Number(value.toFixed(1))} ${unit}`;
}
