import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Writes `files` (repository-relative path → content) under `root`, creating folders; returns `root`. */
export async function writeTree(root: string, files: Record<string, string>): Promise<string> {
  await mkdir(root, { recursive: true });
  for (const [file, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), content);
  }
  return root;
}
