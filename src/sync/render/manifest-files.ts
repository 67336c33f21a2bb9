import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ObjectProblem } from '../../errors.js';
import { compareText } from '../compare-text.js';
import { isInside, relativePath } from './paths.js';

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** A file to read: its absolute path and its `relative` path (relative to the checkout, forward slashes). */
export interface ManifestFile {
  absolute: string;
  relative: string;
  /**
   * Where the file really is, relative to the checkout, when a symbolic link (to it or to a folder
   * above it) leads there from elsewhere: a push that changes it changes what the target renders.
   */
  linked?: string;
}

function hasManifestExtension(name: string): boolean {
  return MANIFEST_EXTENSIONS.has(path.extname(name).toLowerCase());
}

/**
 * Lists the manifest files (`.yaml`, `.yml`, `.json`) under `start`, sorted by relative path,
 * skipping dot-files and dot-directories. Symbolic links are followed only while they stay
 * inside the checkout (`rootReal`, the real path of `root`); a link that leaves it, a broken one
 * and a loop are each a problem added to `problems`, and the walk goes on without them.
 */
export async function listManifestFiles(root: string, rootReal: string, start: string, problems: ObjectProblem[]): Promise<ManifestFile[]> {
  const files: ManifestFile[] = [];

  async function walk(dir: string, dirReal: string, ancestors: readonly string[]): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => compareText(a.name, b.name));
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
        const linked = relativePath(rootReal, real);
        files.push({ absolute, relative: file, ...(linked !== file && { linked }) });
      }
    }
  }

  const startReal = await realpath(start);
  await walk(start, startReal, [startReal]);
  files.sort((a, b) => compareText(a.relative, b.relative));
  return files;
}
