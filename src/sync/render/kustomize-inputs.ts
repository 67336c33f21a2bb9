import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ObjectProblem } from '../../errors.js';
import type { RenderBudget } from './limits.js';
import { isInside, relativePath } from './paths.js';
import { parseDocuments } from './yaml.js';

/** File names kustomize recognises as a kustomization, in the order it looks for them. */
export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'] as const;

/** The kustomization file name in `dir`, if there is one. */
export async function findKustomization(dir: string): Promise<string | undefined> {
  for (const name of KUSTOMIZATION_FILES) {
    try {
      if ((await stat(path.join(dir, name))).isFile()) return name;
    } catch {
      // not this one
    }
  }
  return undefined;
}

/** Fields that name nothing to load. */
const INERT_FIELDS = new Set([
  'apiVersion', 'kind', 'metadata', 'namespace', 'namePrefix', 'nameSuffix', 'commonLabels', 'labels',
  'commonAnnotations', 'images', 'replicas', 'vars', 'sortOptions', 'buildMetadata', 'generatorOptions',
]);

/** Fields kustomize would load code or charts for: plugins, and helm (rendered on its own). */
const REFUSED_FIELDS: Record<string, string> = {
  generators: 'plugins are off in the render sandbox; use the built-in fields (configMapGenerator, patches, replacements, ...)',
  transformers: 'plugins are off in the render sandbox; use the built-in fields (patches, labels, images, replacements, ...)',
  validators: 'plugins are off in the render sandbox',
  helmCharts: 'helm charts are not inflated inside kustomize unless the target sets helm.kustomizeHelmCharts; or use render: helm',
  helmChartInflationGenerator: 'the legacy helmChartInflationGenerator is not supported; use helmCharts (with helm.kustomizeHelmCharts) or render: helm',
  helmGlobals: 'helm charts are not inflated inside kustomize unless the target sets helm.kustomizeHelmCharts; or use render: helm',
};

/**
 * What a reference may be: a kustomization directory (checked in turn), a manifest (YAML that
 * kustomize parses, so checked for aliases like any manifest), data (bytes kustomize copies:
 * generator files and env files), or, for `resources`, a directory or a manifest.
 */
type Kind = 'directory' | 'manifest' | 'data' | 'either';

/** A path a kustomization names, with the field it came from for messages. */
interface Reference {
  field: string;
  value: unknown;
  kind: Kind;
}

const isMapping = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `key=path` or `path`, as in configMapGenerator `files`. */
const fileSourcePath = (entry: unknown): unknown => (typeof entry === 'string' ? entry.slice(entry.indexOf('=') + 1) : entry);

/** A patch given inline rather than as a file name (patchesStrategicMerge accepts both). */
const isInlinePatch = (entry: string): boolean => entry.includes('\n') || entry.trimStart().startsWith('{') || entry.includes(': ');

/** The list under `field`, or a problem when it is not one. */
function listOf(document: Record<string, unknown>, field: string, problems: string[]): unknown[] {
  const value = document[field];
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) {
    problems.push(`${field}: expected a list`);
    return [];
  }
  return value;
}

/**
 * Every local path one kustomization names, by field; problems for fields that are refused,
 * unknown or of the wrong shape. Inline patches and replacements name no path.
 */
function referencesOf(document: Record<string, unknown>, problems: string[], helmCharts: boolean): Reference[] {
  const refs: Reference[] = [];
  const add = (field: string, value: unknown, kind: Kind) => refs.push({ field, value, kind });
  for (const [field, value] of Object.entries(document)) {
    if (INERT_FIELDS.has(field)) continue;
    // checked by InputCheck.helmCharts when the target lets kustomize inflate charts
    if (helmCharts && (field === 'helmCharts' || field === 'helmGlobals')) continue;
    const refused = REFUSED_FIELDS[field];
    if (refused !== undefined) {
      problems.push(`${field}: ${refused}`);
      continue;
    }
    switch (field) {
      case 'resources':
        for (const entry of listOf(document, field, problems)) add(field, entry, 'either');
        break;
      case 'bases':
      case 'components':
        for (const entry of listOf(document, field, problems)) add(field, entry, 'directory');
        break;
      case 'crds':
      case 'configurations':
        for (const entry of listOf(document, field, problems)) add(field, entry, 'manifest');
        break;
      case 'patchesStrategicMerge':
        for (const entry of listOf(document, field, problems)) {
          if (!(typeof entry === 'string' && isInlinePatch(entry))) add(field, entry, 'manifest');
        }
        break;
      case 'patches':
      case 'patchesJson6902':
      case 'replacements':
        for (const entry of listOf(document, field, problems)) {
          if (isMapping(entry) && entry.path !== undefined) add(`${field}.path`, entry.path, 'manifest');
          else if (!isMapping(entry)) problems.push(`${field}: expected a list of mappings`);
        }
        break;
      case 'configMapGenerator':
      case 'secretGenerator':
        for (const entry of listOf(document, field, problems)) {
          if (!isMapping(entry)) {
            problems.push(`${field}: expected a list of mappings`);
            continue;
          }
          for (const source of listOf(entry, 'files', problems)) add(`${field}.files`, fileSourcePath(source), 'data');
          for (const env of listOf(entry, 'envs', problems)) add(`${field}.envs`, env, 'data');
          if (entry.env !== undefined) add(`${field}.env`, entry.env, 'data');
        }
        break;
      case 'openapi':
        if (!isMapping(value)) problems.push('openapi: expected a mapping');
        else if (value.path !== undefined) add('openapi.path', value.path, 'manifest');
        break;
      default:
        problems.push(`${field}: not a field the render sandbox knows; it cannot tell what kustomize would load for it`);
    }
  }
  return refs;
}

/** A URL, an scp-style git address (`git@host:org/repo`) or a git `?ref=`: never a local path. */
const isRemote = (value: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(value) || /^[\w.-]+@[\w.-]+:/.test(value) || value.includes('?ref=');

/** `github.com/org/repo`: what kustomize would fetch when no such local path exists. */
const looksLikeHost = (value: string): boolean => /^[\w-]+(\.[\w-]+)+\//.test(value);

/** Options for checkKustomizeInputs. */
export interface InputCheck {
  /** Repository worktree root, a real path. */
  root: string;
  /** The kustomization directory, relative to `root` ('.' for the root). */
  dir: string;
  /** File name of its kustomization, one of KUSTOMIZATION_FILES. */
  file: string;
  /** Bytes per file and in total for every file the build reads. */
  budget: RenderBudget;
  /** Hears of each kustomization before it is read. */
  onFile?: (source: string) => void;
  /**
   * When the target lets kustomize inflate `helmCharts` (`helm.kustomizeHelmCharts`): checks a
   * kustomization's `helmCharts` and `helmGlobals` (its real folder, its document) and returns
   * what is wrong. Absent: those fields are refused.
   */
  helmCharts?: (dir: string, document: Record<string, unknown>) => Promise<string[]>;
}

/**
 * Checks, before kustomize runs, that the build reads only files of the checkout: every resource,
 * base, component, patch, generator input, CRD, configuration and openapi file a kustomization
 * names (and the kustomizations those name, in turn) must exist in the commit with its real path
 * inside `root`, and fit the budget. Refused with a problem each: URLs and git references (remote
 * resources and bases), absolute paths and paths that leave the checkout, symbolic links out of it,
 * plugins and helm charts, and any field this check does not know. What a target may reach is
 * configuration, not repository content: no kustomization can widen it.
 */
export async function checkKustomizeInputs(check: InputCheck): Promise<ObjectProblem[]> {
  const { root, budget } = check;
  const problems: ObjectProblem[] = [];
  const start = await realpath(path.join(root, check.dir));
  const seen = new Set([start]);
  const queue = [{ dir: start, file: check.file }];

  for (let next = queue.shift(); next; next = queue.shift()) {
    const absolute = path.join(next.dir, next.file);
    const source = relativePath(root, absolute);
    const refuse = (message: string, file = source) => problems.push({ subject: 'kustomization', file: file, message });
    check.onFile?.(source);

    const size = (await stat(absolute)).size;
    const over = budget.oversized(source, size) ?? budget.overTotal(source, size);
    if (over) return [...problems, { ...over, subject: 'kustomization' }];
    budget.count(source, size, 0);
    const parsed = parseDocuments(await readFile(absolute, 'utf8'), source, budget.limits.maxFileBytes);
    if ('problem' in parsed) {
      refuse(parsed.problem.message);
      continue;
    }
    const [document, ...rest] = parsed.documents;
    if (!isMapping(document) || rest.length > 0) {
      refuse('expected a kustomization: one YAML mapping');
      continue;
    }

    const messages: string[] = [];
    if (check.helmCharts) messages.push(...(await check.helmCharts(next.dir, document)));
    for (const ref of referencesOf(document, messages, check.helmCharts !== undefined)) {
      const found = await resolveReference(root, next.dir, ref, messages);
      if (!found) continue;
      if (found.isDirectory) {
        if (seen.has(found.real)) continue;
        seen.add(found.real);
        const kustomization = await findKustomization(found.real);
        // a directory without one: kustomize says so, and there is nothing in it to check
        if (kustomization) queue.push({ dir: found.real, file: kustomization });
        continue;
      }
      const fileSource = relativePath(root, found.real);
      const fileOver = budget.oversized(fileSource, found.size) ?? budget.overTotal(fileSource, found.size);
      if (fileOver) {
        messages.forEach((message) => refuse(message));
        return [...problems, { ...fileOver, subject: 'kustomization' }];
      }
      budget.count(fileSource, found.size, 0);
      if (ref.kind === 'data') continue;
      // kustomize expands aliases too, in a process whose memory only its input bounds; what it
      // cannot parse it reports itself, in its own words (it reads some YAML js-yaml does not)
      const manifest = parseDocuments(await readFile(found.real, 'utf8'), fileSource, budget.limits.maxFileBytes);
      if ('problem' in manifest && !manifest.syntax) refuse(manifest.problem.message, fileSource);
    }
    messages.forEach((message) => refuse(message));
  }
  return problems;
}

/**
 * The real path of a reference when it is a local path inside the checkout of the right kind;
 * otherwise pushes why not and returns undefined.
 */
async function resolveReference(root: string, dir: string, ref: Reference, problems: string[]): Promise<{ real: string; isDirectory: boolean; size: number } | undefined> {
  const { field, value } = ref;
  if (typeof value !== 'string' || value === '') {
    problems.push(`${field}: expected a path, got ${JSON.stringify(value)}`);
    return undefined;
  }
  const named = `${field}: ${JSON.stringify(value)}`;
  const remoteOff = 'remote resources and bases are off in the render sandbox: a target reads only its own commit';
  if (isRemote(value)) return void problems.push(`${named} is remote; ${remoteOff}`);
  if (path.isAbsolute(value)) return void problems.push(`${named} is an absolute path; name files relative to the kustomization`);
  const absolute = path.resolve(dir, value);
  if (!isInside(root, absolute)) return void problems.push(`${named} leaves the checkout`);
  let real: string;
  try {
    real = await realpath(absolute);
  } catch {
    return void problems.push(looksLikeHost(value) ? `${named} is not in this commit, and ${remoteOff}` : `${named} is not in this commit`);
  }
  if (!isInside(root, real)) return void problems.push(`${named} is a symbolic link to a file not in or below the checkout`);
  const info = await stat(real);
  const isDirectory = info.isDirectory();
  if (!isDirectory && !info.isFile()) return void problems.push(`${named} is neither a file nor a directory`);
  if (ref.kind === 'directory' && !isDirectory) return void problems.push(`${named} is a file; ${field} names kustomization directories`);
  if ((ref.kind === 'manifest' || ref.kind === 'data') && isDirectory) return void problems.push(`${named} is a directory; ${field} names files`);
  return { real, isDirectory, size: info.size };
}
