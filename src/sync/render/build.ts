import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { DriftlessError, ManifestError } from '../../errors.js';
import type { Manifest } from '../manifest.js';
import { renderHelm, type HelmRender } from './helm.js';
import { findKustomization, KUSTOMIZATION_FILES } from './kustomize-inputs.js';
import { renderKustomize } from './kustomize.js';
import { RenderBudget } from './limits.js';
import type { RenderLimits } from './limits.js';
import { isInside, normalizeInside } from './paths.js';
import { renderPlain } from './plain.js';

/** How a target's path is turned into objects; `auto` is kustomize when a kustomization is there. */
export type RenderMode = 'auto' | 'plain' | 'kustomize' | 'helm';

/** One render, all plain data so that it can cross to the render thread. */
export interface RenderRequest {
  /** Repository worktree root. */
  checkoutDir: string;
  /** Target path relative to the root, '.' for the root. */
  path: string;
  /** auto | plain | kustomize | helm (auto never picks helm here: the caller chose it, to fetch the cluster's capabilities first). */
  mode: RenderMode;
  /** kubectl binary for kustomize. */
  kubectl: string;
  /** What `helm template` is told; required when `mode` is helm; for kustomize, set only when the target lets it inflate helmCharts. */
  helm?: HelmRender;
  /** The target's budgets. */
  limits: RenderLimits;
  /** When the render must be over, in epoch milliseconds; kustomize is killed then. */
  deadline: number;
}

/** A render's objects, and every repository file it read (sorted): what a push must touch to change them. */
export interface Rendered {
  manifests: Manifest[];
  read: string[];
}

function pathProblem(source: string, message: string): ManifestError {
  return new ManifestError('render', [{ subject: 'path', file: source, message }]);
}

/** The target path in forward-slash form, refused when it is absolute or climbs out of the checkout. */
function normalizeTargetPath(target: string): string {
  const posix = target.split(path.sep).join('/');
  if (path.posix.isAbsolute(posix) || path.isAbsolute(target)) {
    throw pathProblem(target, 'path must be relative to the repository root');
  }
  const normalized = normalizeInside(posix);
  if (normalized === undefined) throw pathProblem(target, 'path leaves the repository');
  return normalized;
}

/**
 * Reads a target's objects from a checkout, in this thread: plain YAML/JSON files or a kustomize
 * build, within the request's budgets. Objects come in a stable order (plain: by file, then
 * document; kustomize: its output order). Anything wrong with what is in Git is one permanent
 * ManifestError listing every problem. `onFile` hears of each file before it is read, so that
 * whoever stops a render that ran out of time or memory can name the file.
 */
export async function buildManifests(request: RenderRequest, onFile?: (source: string) => void): Promise<Manifest[]> {
  const root = await realpath(request.checkoutDir);
  const relative = normalizeTargetPath(request.path);
  const target = path.join(root, relative);

  let targetReal: string;
  try {
    targetReal = await realpath(target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw pathProblem(relative, 'path does not exist in this commit');
    throw err;
  }
  if (!isInside(root, targetReal)) throw pathProblem(relative, 'path is a symbolic link that points outside the checkout');

  const isDirectory = (await stat(targetReal)).isDirectory();
  const kustomization = isDirectory ? await findKustomization(targetReal) : undefined;
  const mode = request.mode === 'auto' ? (kustomization ? 'kustomize' : 'plain') : request.mode;

  if (mode === 'helm') {
    if (!request.helm) throw new DriftlessError('render: helm needs the helm options (RenderRequest.helm)');
    return renderHelm({ root, dir: relative, helm: request.helm, limits: request.limits, deadline: request.deadline, onFile });
  }
  if (mode === 'plain') return renderPlain(root, target, new RenderBudget(request.limits), onFile);

  if (!kustomization) {
    throw pathProblem(relative, `render mode is kustomize but there is no ${KUSTOMIZATION_FILES.join(', ')} here`);
  }
  return renderKustomize({ root, dir: relative, file: kustomization, kubectl: request.kubectl, limits: request.limits, deadline: request.deadline, onFile, helm: request.helm });
}
