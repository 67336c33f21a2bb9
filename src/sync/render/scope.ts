import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { RenderMode } from './build.js';
import { isChart } from './helm-target.js';
import { findKustomization } from './kustomize-inputs.js';
import { normalizeInside } from './paths.js';

/**
 * The repository path a target's render reads when nothing outside it can be read, or undefined
 * when it may read the whole tree: the normal form of `targetPath` (see normalizeInside), unless
 * it is the root, absolute or leaves the repository (the render then says so from a whole checkout).
 */
export function targetScope(targetPath: string): string | undefined {
  const normalized = normalizeInside(targetPath.split(path.sep).join('/'));
  return normalized === undefined || normalized === '.' ? undefined : normalized;
}

/**
 * Whether a render of the target needs more of the commit than the target's own path, which is
 * all a checkout of that path holds (`checkoutDir`): a kustomization (bases, components and
 * resources may be anywhere in the repository) and a chart (values files, dependencies) do,
 * plain manifests do not, unless a symbolic link under the path can lead outside it (the plain
 * render follows links that stay inside the checkout). Reads only the checked-out path.
 */
export async function needsWholeTree(mode: RenderMode, checkoutDir: string, scope: string): Promise<boolean> {
  if (mode === 'kustomize' || mode === 'helm') return true;
  const dir = path.join(checkoutDir, scope);
  if (mode === 'auto' && ((await isChart(checkoutDir, scope)) || (await findKustomization(dir)))) return true;
  return hasSymbolicLink(dir);
}

/** Whether `file` is a symbolic link or a folder holding one (at any depth); a missing path holds none. */
async function hasSymbolicLink(file: string): Promise<boolean> {
  const stats = await lstat(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (!stats?.isDirectory()) return stats?.isSymbolicLink() ?? false;
  // walked by hand: readdir's own recursion lost nested entries in early Node 20 releases
  for (const entry of await readdir(file, { withFileTypes: true })) {
    if (entry.isSymbolicLink()) return true;
    if (entry.isDirectory() && (await hasSymbolicLink(path.join(file, entry.name)))) return true;
  }
  return false;
}
