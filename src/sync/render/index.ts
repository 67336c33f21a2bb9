import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { ManifestError } from '../../errors.js';
import type { Manifest } from '../manifest.js';
import { KUSTOMIZATION_FILES, renderKustomize } from './kustomize.js';
import { isInside, renderPlain } from './plain.js';

/** How a target's path is turned into objects; `auto` is kustomize when a kustomization is there. */
export type RenderMode = 'auto' | 'plain' | 'kustomize';

/** Options for renderManifests. */
export interface RenderOptions {
  /** Repository worktree root. */
  checkoutDir: string;
  /** Target path relative to the root, '.' for the root. */
  path: string;
  /** auto | plain | kustomize (helm is rendered elsewhere). */
  mode: RenderMode;
  /** kubectl binary for kustomize; default `process.env.KUBECTL ?? 'kubectl'`. */
  kubectl?: string;
}

function pathProblem(source: string, message: string): ManifestError {
  return new ManifestError('render', [{ subject: 'path', source, message }]);
}

/** The target path in forward-slash form, refused when it is absolute or climbs out of the checkout. */
function normalizeTargetPath(target: string): string {
  const posix = target.split(path.sep).join('/');
  if (path.posix.isAbsolute(posix) || path.isAbsolute(target)) {
    throw pathProblem(target, 'path must be relative to the repository root');
  }
  const normalized = path.posix.normalize(posix || '.').replace(/\/+$/, '') || '.';
  if (normalized === '..' || normalized.startsWith('../')) throw pathProblem(target, 'path leaves the repository');
  return normalized;
}

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

/**
 * Reads a target's objects from a checkout: plain YAML/JSON files or a kustomize build. Objects
 * come in a stable order (plain: by file, then document; kustomize: its output order). Anything
 * wrong with what is in Git is one permanent ManifestError listing every problem.
 */
export async function renderManifests(options: RenderOptions): Promise<Manifest[]> {
  const root = await realpath(options.checkoutDir);
  const relative = normalizeTargetPath(options.path);
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
  const mode = options.mode === 'auto' ? (kustomization ? 'kustomize' : 'plain') : options.mode;

  if (mode === 'plain') return renderPlain(root, target);

  if (!kustomization) {
    throw pathProblem(relative, `render mode is kustomize but there is no ${KUSTOMIZATION_FILES.join(', ')} here`);
  }
  return renderKustomize({
    root,
    dir: relative,
    file: kustomization,
    kubectl: options.kubectl ?? process.env.KUBECTL ?? 'kubectl',
  });
}
