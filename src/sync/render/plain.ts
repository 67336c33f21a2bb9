import { readFileSync, statSync } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { ManifestError } from '../../errors.js';
import type { ObjectProblem } from '../../errors.js';
import { compareText } from '../compare-text.js';
import type { Manifest } from '../manifest.js';
import { collectDocuments, documentLines } from './documents.js';
import { duplicateProblems } from './duplicates.js';
import type { RenderBudget } from './limits.js';
import { listManifestFiles, type ManifestFile } from './manifest-files.js';
import { relativePath } from './paths.js';
import { parseDocuments } from './yaml.js';

/**
 * Reads the plain manifests under `target` (a directory or one file inside `root`, already
 * checked to be inside it), within `budget`: a file over a limit is refused before it is read,
 * and the render stops at the first file that takes it over its total. `onFile` hears of each file
 * before it is read (and, for a file reached through a symbolic link, of where it really is).
 * Every problem in every file is collected into one ManifestError.
 */
export async function renderPlain(root: string, target: string, budget: RenderBudget, onFile?: (file: string) => void): Promise<Manifest[]> {
  const rootReal = await realpath(root);
  const problems: ObjectProblem[] = [];
  const targetStat = await stat(target);
  const files = targetStat.isDirectory() ? await listManifestFiles(root, rootReal, target, problems) : [await oneFile(root, rootReal, target)];

  const manifests: Manifest[] = [];
  // sequential reads: they keep file descriptors and memory bounded. Synchronous ones: this runs
  // in a render thread, never on the event loop, and a checkout holds only regular files and
  // links (links out of it are refused above), so no read can block; 1,000 small files took
  // 400 ms warm with a thread-pool round trip per stat and read, 100 ms like this
  for (const file of files) {
    onFile?.(file.relative);
    if (file.linked) onFile?.(file.linked);
    const { size } = statSync(file.absolute);
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
    const text = readFileSync(file.absolute, 'utf8');
    const parsed = parseDocuments(text, file.relative, budget.limits.maxFileBytes);
    if ('problem' in parsed) {
      problems.push(parsed.problem);
      continue;
    }
    const before = manifests.length;
    collectDocuments(parsed.documents, file.relative, manifests, problems, documentLines(text));
    const over = budget.count(file.relative, Math.max(size, parsed.expandedBytes), manifests.length - before);
    if (over) {
      problems.push(over);
      break;
    }
  }
  problems.push(...duplicateProblems(manifests));
  if (problems.length > 0) throw new ManifestError('render', sortProblems(problems));
  return manifests;
}

/** Problems in file order, so the report reads top to bottom; within one file as found (sort is stable). */
function sortProblems(problems: ObjectProblem[]): ObjectProblem[] {
  return [...problems].sort((a, b) => compareText(a.file, b.file));
}

/** A target that is one file, and where it really is when it is a symbolic link (see ManifestFile). */
async function oneFile(root: string, rootReal: string, target: string): Promise<ManifestFile> {
  const relative = relativePath(root, target);
  const linked = relativePath(rootReal, await realpath(target));
  return { absolute: target, relative, ...(linked !== relative && { linked }) };
}
