/**
 * What a push must touch, besides the target's path, to change what the target renders: the
 * folders outside `targetPath` that the render read files from (a kustomize base in
 * `../../base`), repository-relative and sorted. A file at the repository root counts by itself,
 * so that it does not make every push relevant. `sources` are the files the render read.
 */
export function readPathsOutside(targetPath: string, sources: readonly string[]): string[] {
  if (targetPath === '.') return [];
  const paths = new Set<string>();
  for (const source of sources) {
    if (source === targetPath || source.startsWith(`${targetPath}/`)) continue;
    const slash = source.lastIndexOf('/');
    paths.add(slash === -1 ? source : source.slice(0, slash));
  }
  return [...paths].sort();
}
