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

/** A node's expanded size in bytes and its height (levels of nesting below and including it). */
interface Measure {
  size: number;
  height: number;
}

const SCALAR: Measure = { size: 1, height: 0 };

/**
 * How much text `value` would take to write out with every alias expanded, in bytes: one per
 * node plus the characters of every key and string. Never more than the size of a text without
 * aliases, so a file within the byte budget only fails this when aliases (or merge keys) blow it
 * up. Computed without expanding: js-yaml builds an alias as a second reference to the anchored
 * node, so each node is measured once (memoised by identity) and a "billion laughs" file costs as
 * many steps as it has nodes. Sizes saturate at `limit + 1`. Throws ExpansionRefused for a node
 * that contains itself or nests deeper than MAX_EXPANDED_DEPTH once expanded.
 */
function measure(value: unknown, limit: number, known: Map<object, Measure>, open = new Set<object>(), depth = 0): Measure {
  if (value === null || typeof value !== 'object') return typeof value === 'string' ? { size: Math.max(value.length, 1), height: 0 } : SCALAR;
  let result = known.get(value);
  if (!result) {
    if (open.has(value)) throw new ExpansionRefused('an alias refers to a node that contains it');
    if (depth >= MAX_EXPANDED_DEPTH) throw tooDeep();
    open.add(value);
    result = { size: 1, height: 1 };
    const entries: [string, unknown][] = Array.isArray(value) ? value.map((item) => ['', item]) : Object.entries(value);
    for (const [key, item] of entries) {
      const child = measure(item, limit, known, open, depth + 1);
      result.size = Math.min(result.size + key.length + child.size, limit + 1);
      result.height = Math.max(result.height, child.height + 1);
    }
    open.delete(value);
    known.set(value, result);
  }
  // a node measured before, at a shallower place, may be too deep here
  if (depth + result.height > MAX_EXPANDED_DEPTH) throw tooDeep();
  return result;
}

const tooDeep = () => new ExpansionRefused(`nested more than ${MAX_EXPANDED_DEPTH} levels deep once aliases are expanded`);

/** Parsed documents and their size with aliases expanded (see measure), in bytes. */
export interface ParsedDocuments {
  documents: unknown[];
  expandedBytes: number;
}

/** Why a text was refused; `syntax` when js-yaml could not read it, false when its expansion was refused. */
export interface RefusedDocuments {
  problem: ObjectProblem;
  syntax: boolean;
}

/**
 * Parses every document of a YAML (or JSON) text whose aliases may expand it to at most
 * `maxBytes`. Returns the documents, deep-copied so that aliases never share objects
 * (mutating one object's labels later must not change another field), and their expanded size; or
 * a problem naming the file (with line and column for a syntax error). The size is checked on the
 * parsed, unexpanded form, so an alias bomb is refused after a few milliseconds and a few KiB.
 */
export function parseDocuments(text: string, file: string, maxBytes: number): ParsedDocuments | RefusedDocuments {
  const refuse = (message: string, syntax = false) => ({ problem: { subject: file, file, message }, syntax });
  let documents: unknown[];
  try {
    documents = loadAll(text, {
      schema: KUBERNETES_YAML_SCHEMA,
      filename: file,
      // JSON.parse semantics for .json files: a repeated key overrides instead of failing
      json: file.toLowerCase().endsWith('.json'),
      maxDepth: MAX_SOURCE_DEPTH,
      maxTotalMergeKeys: MAX_MERGE_KEYS,
    });
  } catch (err) {
    if (err instanceof YAMLException && err.mark) {
      const { line, column } = err.mark;
      return { problem: { subject: file, file, line: line + 1, message: `invalid YAML at line ${line + 1}, column ${column + 1}: ${err.reason}` }, syntax: true };
    }
    return refuse(`invalid YAML: ${err instanceof Error ? err.message : String(err)}`, true);
  }
  const normalized = documents.map((doc) => (doc === undefined ? null : doc));
  let expandedBytes = 0;
  try {
    const known = new Map<object, Measure>();
    for (const doc of normalized) expandedBytes = Math.min(expandedBytes + measure(doc, maxBytes, known).size, maxBytes + 1);
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
