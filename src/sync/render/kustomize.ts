import path from 'node:path';
import { DriftlessError, ManifestError } from '../../errors.js';
import type { ObjectProblem } from '../../errors.js';
import type { Manifest } from '../manifest.js';
import { collectObject } from './documents.js';
import { duplicateProblems } from './duplicates.js';
import type { HelmRender } from './helm.js';
import { checkKustomizeCharts } from './helm-kustomize.js';
import { checkKustomizeInputs } from './kustomize-inputs.js';
import { defaultRenderLimits, RenderBudget } from './limits.js';
import type { RenderLimits } from './limits.js';
import { normalizeInside } from './paths.js';
import { runSandboxed } from './sandbox.js';
import { formatBytes, parseDocuments } from './yaml.js';

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
  /** The target's budgets; the defaults when absent. */
  limits?: RenderLimits;
  /** When kustomize is killed, in epoch milliseconds; `limits.timeout` from now when absent. */
  deadline?: number;
  /** Hears of each kustomization before it is read. */
  onFile?: (source: string) => void;
  /** Set when the target lets kustomize inflate `helmCharts` (`helm.kustomizeHelmCharts`): helm, its capabilities and repositories. */
  helm?: HelmRender;
}

/** kustomize's helm flags: the binary and the cluster's capabilities, as `render: helm` passes them. */
function helmFlags(helm: HelmRender): string[] {
  const flags = ['--enable-helm', '--helm-command', helm.binary, '--helm-kube-version', helm.kubeVersion];
  if (helm.apiVersions.length > 0) flags.push('--helm-api-versions', helm.apiVersions.join(','));
  return flags;
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
  const parsed = parseDocuments(value, ORIGIN_ANNOTATION, value.length);
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
  return normalizeInside(path.posix.join(dir, file)) ?? fallback;
}

/**
 * kustomize's flags: files only from the kustomization's own directory (the default, pinned so a
 * new default cannot loosen it); plugins and helm stay off, their default.
 */
const KUSTOMIZE_FLAGS = ['--load-restrictor', 'LoadRestrictionsRootOnly'];

/**
 * Builds a kustomization with `kubectl kustomize` in the render sandbox and returns its objects
 * in kustomize's output order, which is deterministic and follows the kustomization's
 * sortOptions. Before kustomize starts, every file it would read is checked to be in the checkout
 * and within the budget (checkKustomizeInputs); its output counts against `maxTotalBytes` and
 * `maxObjects`. Whatever the commit does wrong (a bad reference, a build error, a limit) is a
 * permanent ManifestError naming the kustomization; a kubectl that cannot start is retried.
 */
export async function renderKustomize(options: KustomizeOptions): Promise<Manifest[]> {
  const { root, dir, file, kubectl } = options;
  const limits = options.limits ?? defaultRenderLimits();
  const kustomization = dir === '.' ? file : `${dir}/${file}`;
  const refuse = (message: string): ManifestError => new ManifestError('render', [{ subject: 'kustomization', file: kustomization, message }]);

  const deadline = options.deadline ?? Date.now() + limits.timeout;
  const budget = new RenderBudget(limits);
  const { helm } = options;
  const helmCharts = helm && ((chartsDir: string, document: Record<string, unknown>) => checkKustomizeCharts({ root, helm, budget, deadline }, chartsDir, document));
  const inputProblems = await checkKustomizeInputs({ root, dir, file, budget, onFile: options.onFile, helmCharts });
  if (inputProblems.length > 0) throw new ManifestError('render', inputProblems);

  options.onFile?.(kustomization);
  const result = await runSandboxed(kubectl, ['kustomize', ...KUSTOMIZE_FLAGS, ...(helm ? helmFlags(helm) : []), path.join(root, dir)], {
    cwd: root,
    timeoutMs: deadline - Date.now(),
    maxOutputBytes: limits.maxTotalBytes,
  });
  switch (result.outcome) {
    case 'not-started':
      throw new DriftlessError(`cannot run kubectl (${kubectl}): ${result.error.message}`, { cause: result.error });
    case 'timeout':
      throw refuse(`kustomize build took longer than ${limits.timeout / 1000} s (renderLimits.timeout)`);
    case 'output-limit':
      throw refuse(`kustomize output is larger than renderLimits.maxTotalBytes (${formatBytes(limits.maxTotalBytes)})`);
    case 'exited':
      if (result.code !== 0) throw refuse(kustomizeMessage(result.stderr, root));
  }

  const parsed = parseDocuments(result.stdout, kustomization, limits.maxTotalBytes);
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
  if (manifests.length > limits.maxObjects) throw refuse(`the build has ${manifests.length} objects, more than renderLimits.maxObjects (${limits.maxObjects})`);
  problems.push(...duplicateProblems(manifests));
  if (problems.length > 0) throw new ManifestError('render', problems);
  return manifests;
}
