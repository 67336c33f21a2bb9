import path from 'node:path';

/** Path relative to `root` with forward slashes, as `Manifest.file` wants it. */
export function relativePath(root: string, absolute: string): string {
  return path.relative(root, absolute).split(path.sep).join('/');
}

/** Whether `candidate` is `root` or below it (both absolute; compare real paths to see through links). */
export function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * A repository path in normal form: forward slashes, no `.` or `..` segments, no trailing slash,
 * '.' for the root. Undefined when it is absolute or climbs out of the repository. `posix` is
 * relative to the repository root, with forward slashes.
 */
export function normalizeInside(posix: string): string | undefined {
  const normalized = path.posix.normalize(posix || '.').replace(/\/+$/, '') || '.';
  return normalized === '..' || normalized.startsWith('../') || path.posix.isAbsolute(normalized) ? undefined : normalized;
}
