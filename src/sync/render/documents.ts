import type { ObjectProblem } from '../../errors.js';
import type { Manifest } from '../manifest.js';

/** Where a document is, for messages: `document 2`, `document 1, item 3`, or '' for a single-document file. */
export type Location = string;

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
function looksLikeObject(document: unknown): document is Record<string, unknown> {
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
  line?: number,
): void {
  const where = line === undefined ? {} : { line };
  if (!isMapping(document)) {
    problems.push({ subject: file, file, ...where, message: at(location, `expected a Kubernetes object, got ${describeType(document)}`) });
    return;
  }
  const { apiVersion, kind, metadata } = document;
  const subject = typeof kind === 'string' && kind ? kind : file;
  const fail = (message: string) => problems.push({ subject, file, ...where, message: at(location, message) });

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
      collectObject(item, file, itemLocation, out, problems, line);
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
  out.push({ object: document as unknown as Manifest['object'], file, ...where });
}

/**
 * Turns the documents of one file into manifests. A file none of whose documents looks like a
 * Kubernetes object (a values.yaml, a CI config, a kustomization) is not a manifest file and yields
 * nothing; in a manifest file every non-empty document must be an object. `lines`: the line each
 * document starts at (documentLines), carried on its manifests and problems.
 */
export function collectDocuments(documents: unknown[], file: string, out: Manifest[], problems: ObjectProblem[], lines?: readonly number[]): void {
  if (!documents.some((doc) => looksLikeObject(doc) && !isKustomizeConfig(doc))) return;
  const multi = documents.filter((doc) => doc !== null).length > 1;
  // lines that do not pair up with the parser's documents are not trusted
  const known = lines?.length === documents.length ? lines : undefined;
  documents.forEach((doc, index) => {
    if (doc === null || isKustomizeConfig(doc)) return;
    collectObject(doc, file, multi ? `document ${index + 1}` : '', out, problems, known?.[index]);
  });
}

/**
 * The 1-based line at which each YAML document of `text` starts: its first line of content (not a
 * blank, a comment, a directive or the `---` marker alone), or its marker's line when it is empty.
 * One entry per document as js-yaml's loadAll yields them; for check run annotations.
 */
export function documentLines(text: string): number[] {
  const starts: number[] = [];
  let open = false;
  let first: number | undefined;
  const close = (fallback: number) => {
    if (open) starts.push(first ?? fallback);
    first = undefined;
  };
  text.split(/\r?\n/).forEach((raw, i) => {
    if (/^---(?:\s|$)/.test(raw)) {
      close(i + 1);
      open = true;
      const rest = raw.slice(3).trim();
      if (rest && !rest.startsWith('#')) first = i + 1;
    } else if (/^\.\.\.(?:\s|$)/.test(raw)) {
      close(i + 1);
      open = false;
    } else if (first === undefined && raw.trim() && !raw.trimStart().startsWith('#') && !(raw.startsWith('%') && !open)) {
      first = i + 1;
      open = true;
    }
  });
  close(1);
  return starts;
}
