import { execFile } from 'node:child_process';
import path from 'node:path';
import { DriftlessError, ManifestError } from '../../errors.js';
import type { ObjectProblem } from '../../errors.js';
import type { Manifest } from '../manifest.js';
import { collectObject, findDuplicates, parseDocuments } from './plain.js';

/** File names kustomize recognises as a kustomization, in the order it looks for them. */
export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'] as const;

const ORIGIN_ANNOTATION = 'config.kubernetes.io/origin';

/** Options for one `kubectl kustomize` run. */
export interface KustomizeOptions {
  /** Repository worktree root (real path); the child runs here and messages are made relative to it. */
  root: string;
  /** The kustomization directory, relative to `root` with forward slashes ('.' for the root). */
  dir: string;
  /** File name of the kustomization inside `dir`, one of KUSTOMIZATION_FILES. */
  file: string;
  /** kubectl binary. */
  kubectl: string;
  /** Kill the build after this long; default 60 s. */
  timeoutMs?: number;
  /** Largest output accepted; default 256 MiB. */
  maxBuffer?: number;
}

interface RunResult {
  stdout: string;
  stderr: string;
  error: (Error & { code?: string | number | null; killed?: boolean }) | null;
}

function run(file: string, args: string[], options: { cwd: string; timeout: number; maxBuffer: number }): Promise<RunResult> {
  // no secrets reach kustomize: only what it needs to find git (remote bases) and its cache
  const env: NodeJS.ProcessEnv = {};
  if (process.env.PATH !== undefined) env.PATH = process.env.PATH;
  if (process.env.HOME !== undefined) env.HOME = process.env.HOME;
  return new Promise((resolve) => {
    execFile(file, args, { ...options, env, encoding: 'utf8', windowsHide: true }, (error, stdout, stderr) => {
      resolve({ stdout, stderr, error });
    });
  });
}

/**
 * kubectl logs failures through klog: `E1126 12:44:03 ... run.go:72] "command failed" err="…"`.
 * Keep the quoted reason when it is there; otherwise the whole of stderr.
 */
export function kustomizeMessage(stderr: string, root: string): string {
  let message = stderr.trim();
  const quoted = /err="((?:[^"\\]|\\.)*)"/.exec(message)?.[1];
  if (quoted !== undefined) {
    try {
      message = JSON.parse(`"${quoted}"`) as string;
    } catch {
      message = quoted;
    }
  }
  message = message.replace(/^error: /, '');
  // absolute checkout paths mean nothing on a pull request; show them relative to the repository
  return message.split(`${root}${path.sep}`).join('').split(root).join('.') || 'kustomize build failed';
}

function parseOrigin(value: string): Record<string, unknown> | undefined {
  const parsed = parseDocuments(value, ORIGIN_ANNOTATION);
  if ('problem' in parsed) return undefined;
  const [origin] = parsed.documents;
  return typeof origin === 'object' && origin !== null && !Array.isArray(origin) ? (origin as Record<string, unknown>) : undefined;
}

/**
 * The file an object came from, from its `config.kubernetes.io/origin` annotation (present when
 * the kustomization sets `buildMetadata: [originAnnotations]`); the annotation is removed so it
 * never reaches the cluster. Falls back to `fallback` (the kustomization file).
 */
export function takeOrigin(document: unknown, dir: string, fallback: string): string {
  if (typeof document !== 'object' || document === null) return fallback;
  const metadata = (document as { metadata?: unknown }).metadata;
  if (typeof metadata !== 'object' || metadata === null) return fallback;
  const annotations = (metadata as { annotations?: unknown }).annotations;
  if (typeof annotations !== 'object' || annotations === null) return fallback;
  const record = annotations as Record<string, unknown>;
  const value = record[ORIGIN_ANNOTATION];
  if (typeof value !== 'string') return fallback;

  delete record[ORIGIN_ANNOTATION];
  if (Object.keys(record).length === 0) delete (metadata as { annotations?: unknown }).annotations;

  const origin = parseOrigin(value);
  const file = origin?.path ?? origin?.configuredIn;
  if (typeof file !== 'string' || !file) return fallback;
  if (typeof origin?.repo === 'string' && origin.repo) {
    // a remote base: name it the way kustomize would accept it back
    const ref = typeof origin.ref === 'string' && origin.ref ? `?ref=${origin.ref}` : '';
    return `${origin.repo}//${file}${ref}`;
  }
  const source = path.posix.normalize(path.posix.join(dir, file));
  return source.startsWith('../') || path.posix.isAbsolute(source) ? fallback : source;
}

/**
 * Builds a kustomization with `kubectl kustomize` (exec plugins and helm stay off, the default)
 * and returns its objects in kustomize's output order, which is deterministic and follows the
 * kustomization's sortOptions.
 */
export async function renderKustomize(options: KustomizeOptions): Promise<Manifest[]> {
  const { root, dir, file, kubectl } = options;
  const kustomization = dir === '.' ? file : `${dir}/${file}`;
  const absoluteDir = path.join(root, dir);
  const timeout = options.timeoutMs ?? 60_000;
  const result = await run(kubectl, ['kustomize', absoluteDir], {
    cwd: root,
    timeout,
    maxBuffer: options.maxBuffer ?? 256 * 1024 * 1024,
  });

  if (result.error) {
    const { error } = result;
    if (error.code === 'ENOENT' || error.code === 'EACCES') {
      throw new DriftlessError(`cannot run kubectl (${kubectl}): ${error.message}`, { cause: error });
    }
    if (error.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
      throw new ManifestError('render', [
        { subject: 'kustomization', source: kustomization, message: 'kustomize output is larger than the limit' },
      ]);
    }
    if (error.killed) {
      // may be a remote base on a slow git host: not the commit's fault, so retried
      throw new DriftlessError(`kustomize build of ${kustomization} timed out after ${timeout / 1000} s`, { cause: error });
    }
    throw new ManifestError('render', [
      { subject: 'kustomization', source: kustomization, message: kustomizeMessage(result.stderr, root) },
    ]);
  }

  const parsed = parseDocuments(result.stdout, kustomization);
  if ('problem' in parsed) {
    throw new ManifestError('render', [{ ...parsed.problem, subject: 'kustomization', message: `kustomize output: ${parsed.problem.message}` }]);
  }
  const manifests: Manifest[] = [];
  const problems: ObjectProblem[] = [];
  const documents = parsed.documents.filter((doc) => doc !== null);
  documents.forEach((doc, index) => {
    const source = takeOrigin(doc, dir, kustomization);
    collectObject(doc, source, documents.length > 1 ? `object ${index + 1} of the build` : '', manifests, problems);
  });
  problems.push(...findDuplicates(manifests));
  if (problems.length > 0) throw new ManifestError('render', problems);
  return manifests;
}
