import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { ManifestError } from '../../errors.js';
import type { ObjectProblem } from '../../errors.js';
import { subjectOf } from '../manifest.js';
import type { Manifest } from '../manifest.js';
import type { RenderBudget } from './limits.js';
import { isInside, relativePath } from './paths.js';
import { parseDocuments } from './yaml.js';

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** A file to read: its absolute path and its `relative` path (relative to the checkout, forward slashes). */
interface ManifestFile {
  absolute: string;
  relative: string;
}

/** Where a document is, for messages: `document 2`, `document 1, item 3`, or '' for a single-document file. */
type Location = string;

function hasManifestExtension(name: string): boolean {
  return MANIFEST_EXTENSIONS.has(path.extname(name).toLowerCase());
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a mapping' : `a ${typeof value}`;
}

function at(location: Location, message: string): string {
  return location ? `${location}: ${message}` : message;
}

/** A document that claims to be a Kubernetes object (it has an apiVersion or a kind). */
export function looksLikeObject(document: unknown): document is Record<string, unknown> {
  return isMapping(document) && ('apiVersion' in document || 'kind' in document);
}

/** A kustomization or component: build input for kustomize, never an object for the cluster. */
function isKustomizeConfig(document: unknown): boolean {
  return isMapping(document) && typeof document.apiVersion === 'string' && document.apiVersion.startsWith('kustomize.config.k8s.io/');
}

/**
 * Checks one object (expanding `List`s) and appends it to `out`, or appends what is wrong with it
 * to `problems`.
 */
export function collectObject(
  document: unknown,
  file: string,
  location: Location,
  out: Manifest[],
  problems: ObjectProblem[],
): void {
  if (!isMapping(document)) {
    problems.push({ subject: file, file, message: at(location, `expected a Kubernetes object, got ${describeType(document)}`) });
    return;
  }
  const { apiVersion, kind, metadata } = document;
  const subject = typeof kind === 'string' && kind ? kind : file;
  const fail = (message: string) => problems.push({ subject, file, message: at(location, message) });

  if (apiVersion === undefined && kind === undefined) return void fail('not a Kubernetes object: apiVersion and kind are missing');
  if (apiVersion === undefined) return void fail('apiVersion is missing');
  if (kind === undefined) return void fail('kind is missing');
  if (typeof apiVersion !== 'string' || !apiVersion) return void fail(`apiVersion must be a non-empty string, got ${describeType(apiVersion)}`);
  if (typeof kind !== 'string' || !kind) return void fail(`kind must be a non-empty string, got ${describeType(kind)}`);

  // kubectl reads any `*List` with items as a list of objects (v1 List, ConfigMapList, ...)
  if (kind === 'List' || (kind.endsWith('List') && Array.isArray(document.items))) {
    const { items } = document;
    if (!Array.isArray(items)) return void fail(`a ${kind} needs an items list`);
    items.forEach((item, index) => {
      const itemLocation = location ? `${location}, item ${index + 1}` : `item ${index + 1}`;
      collectObject(item, file, itemLocation, out, problems);
    });
    return;
  }

  if (metadata === undefined || metadata === null) return void fail('metadata.name is missing');
  if (!isMapping(metadata)) return void fail(`metadata must be a mapping, got ${describeType(metadata)}`);
  const { name, generateName, namespace } = metadata;
  if (name === undefined || name === null) {
    // generateName creates a new object on every apply; server-side apply needs a fixed name
    return void fail(generateName === undefined ? 'metadata.name is missing' : 'metadata.generateName is not supported: set metadata.name');
  }
  if (typeof name !== 'string') return void fail(`metadata.name must be a string, got ${describeType(name)}`);
  if (!name) return void fail('metadata.name is empty');
  if (namespace !== undefined && namespace !== null && typeof namespace !== 'string') {
    return void fail(`metadata.namespace must be a string, got ${describeType(namespace)}`);
  }
  out.push({ object: document as unknown as Manifest['object'], file });
}

/**
 * Turns the documents of one file into manifests. A file none of whose documents looks like a
 * Kubernetes object (a values.yaml, a CI config, a kustomization) is not a manifest file and yields
 * nothing; in a manifest file every non-empty document must be an object.
 */
export function collectDocuments(documents: unknown[], file: string, out: Manifest[], problems: ObjectProblem[]): void {
  if (!documents.some((doc) => looksLikeObject(doc) && !isKustomizeConfig(doc))) return;
  const multi = documents.filter((doc) => doc !== null).length > 1;
  documents.forEach((doc, index) => {
    if (doc === null || isKustomizeConfig(doc)) return;
    collectObject(doc, file, multi ? `document ${index + 1}` : '', out, problems);
  });
}

/** Identity of an object for duplicate detection: API group, kind, namespace, name. */
function identityOf(object: Manifest['object']): string {
  const slash = object.apiVersion.indexOf('/');
  const group = slash === -1 ? '' : object.apiVersion.slice(0, slash);
  return JSON.stringify([group, object.kind, object.metadata.namespace ?? '', object.metadata.name]);
}

/** Problems for every object defined more than once; each names both places. */
export function findDuplicates(manifests: readonly Manifest[]): ObjectProblem[] {
  const seen = new Map<string, Manifest>();
  const problems: ObjectProblem[] = [];
  for (const manifest of manifests) {
    const key = identityOf(manifest.object);
    const first = seen.get(key);
    if (!first) {
      seen.set(key, manifest);
      continue;
    }
    problems.push({
      subject: subjectOf(manifest.object),
      file: manifest.file,
      message:
        first.file === manifest.file
          ? `defined twice in ${manifest.file}`
          : `defined twice: in ${first.file} and in ${manifest.file}`,
    });
  }
  return problems;
}

/**
 * Lists the manifest files under `start`, sorted, skipping dot-files and dot-directories. Symbolic
 * links are followed only while they stay inside the checkout (`rootReal`).
 */
async function listFiles(root: string, rootReal: string, start: string, problems: ObjectProblem[]): Promise<ManifestFile[]> {
  const files: ManifestFile[] = [];

  async function walk(dir: string, dirReal: string, ancestors: readonly string[]): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const absolute = path.join(dir, entry.name);
      const file = relativePath(root, absolute);
      let real = path.join(dirReal, entry.name);
      let isDirectory = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        try {
          real = await realpath(absolute);
          const target = await stat(real);
          isDirectory = target.isDirectory();
          isFile = target.isFile();
        } catch {
          if (hasManifestExtension(entry.name)) {
            problems.push({ subject: file, file, message: 'broken symbolic link' });
          }
          continue;
        }
        if ((isDirectory || hasManifestExtension(entry.name)) && !isInside(rootReal, real)) {
          problems.push({ subject: file, file, message: 'symbolic link points outside the checkout' });
          continue;
        }
      }
      if (isDirectory) {
        if (ancestors.includes(real)) {
          problems.push({ subject: file, file, message: 'symbolic link loop' });
          continue;
        }
        await walk(absolute, real, [...ancestors, real]);
      } else if (isFile && hasManifestExtension(entry.name)) {
        files.push({ absolute, relative: file });
      }
    }
  }

  await walk(start, await realpath(start), [await realpath(start)]);
  files.sort((a, b) => (a.relative < b.relative ? -1 : a.relative > b.relative ? 1 : 0));
  return files;
}

/**
 * Reads the plain manifests under `target` (a directory or one file inside `root`, already
 * checked to be inside it), within `budget`: a file over a limit is refused before it is read,
 * and the render stops at the first file that takes it over its total. `onFile` hears of each file
 * before it is read. Every problem in every file is collected into one ManifestError.
 */
export async function renderPlain(root: string, target: string, budget: RenderBudget, onFile?: (file: string) => void): Promise<Manifest[]> {
  const rootReal = await realpath(root);
  const problems: ObjectProblem[] = [];
  const targetStat = await stat(target);
  const files = targetStat.isDirectory()
    ? await listFiles(root, rootReal, target, problems)
    : [{ absolute: target, relative: relativePath(root, target) }];

  const manifests: Manifest[] = [];
  // sequential reads: they keep file descriptors and memory bounded
  for (const file of files) {
    onFile?.(file.relative);
    const { size } = await stat(file.absolute);
    const oversized = budget.oversized(file.relative, size);
    if (oversized) {
      problems.push(oversized);
      continue;
    }
    const overTotal = budget.overTotal(file.relative, size);
    if (overTotal) {
      problems.push(overTotal);
      break;
    }
    const parsed = parseDocuments(await readFile(file.absolute, 'utf8'), file.relative, budget.limits.maxFileBytes);
    if ('problem' in parsed) {
      problems.push(parsed.problem);
      continue;
    }
    const before = manifests.length;
    collectDocuments(parsed.documents, file.relative, manifests, problems);
    const over = budget.count(file.relative, Math.max(size, parsed.expandedBytes), manifests.length - before);
    if (over) {
      problems.push(over);
      break;
    }
  }
  problems.push(...findDuplicates(manifests));
  if (problems.length > 0) throw new ManifestError('render', sortProblems(problems));
  return manifests;
}

/** Problems in file order, so the report reads top to bottom; stable within one file. */
function sortProblems(problems: ObjectProblem[]): ObjectProblem[] {
  return problems
    .map((problem, index) => ({ problem, index }))
    .sort((a, b) => (a.problem.file < b.problem.file ? -1 : a.problem.file > b.problem.file ? 1 : a.index - b.index))
    .map(({ problem }) => problem);
}
