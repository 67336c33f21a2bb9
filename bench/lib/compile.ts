import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { root } from './env.js';

/**
 * Turns the bench's own child programs (load generator, baseline servers) into plain .mjs so
 * they run on bare `node`: a TypeScript loader would add its own thread and memory to the
 * processes we measure. They import only packages, which resolve through a node_modules link.
 * The output lives in a temporary folder (JavaScript under bench/ would be linted); `remove()`
 * deletes it.
 */
export function compileChildren(files: readonly string[]): { scripts: Map<string, string>; remove(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'driftless-bench-js-'));
  symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  const out = new Map<string, string>();
  for (const file of files) {
    const source = readFileSync(path.join(root, 'bench', file), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
      fileName: file,
    });
    const target = path.join(dir, path.basename(file).replace(/\.ts$/, '.mjs'));
    writeFileSync(target, outputText);
    out.set(file, target);
  }
  return { scripts: out, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
