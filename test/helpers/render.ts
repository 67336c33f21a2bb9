import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, expect } from 'vitest';
import type { z } from 'zod';
import { renderLimitsSchema } from '../../src/config/schema.js';
import { ManifestError } from '../../src/errors.js';
import type { Manifest } from '../../src/sync/manifest.js';
import { subjectOf } from '../../src/sync/manifest.js';
import { renderManifests } from '../../src/sync/render/index.js';
import type { RenderLimits, RenderOptions } from '../../src/sync/render/index.js';
import { writeTree } from './files.js';

/**
 * What the render tests share: trees in a scratch directory, renders of them, and the fuzz inputs.
 * The unit tests (test/unit/render*.test.ts) use no kubectl or only a stand-in; the ones that need a
 * real `kubectl kustomize` are test/integration/render-kustomize.test.ts.
 */

/** The kubectl the renders run: `$KUBECTL`, else `kubectl` on the PATH. */
export const KUBECTL = process.env.KUBECTL ?? 'kubectl';

export interface RenderScratch {
  /** The scratch directory; exists from the file's beforeAll to its afterAll. */
  readonly dir: string;
  /** Writes `files` (path → content) into a fresh directory under `dir` and returns it. */
  tree(files: Record<string, string>): Promise<string>;
}

/** A scratch directory for this test file: made in beforeAll, removed with everything in it in afterAll. */
export function renderScratch(prefix = 'driftless-render-'): RenderScratch {
  let dir: string | undefined;
  let counter = 0;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  });
  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });
  const scratch: RenderScratch = {
    get dir() {
      if (dir === undefined) throw new Error('the render scratch directory exists only between beforeAll and afterAll');
      return dir;
    },
    tree: (files) => writeTree(path.join(scratch.dir, `repo-${++counter}`), files),
  };
  return scratch;
}

/** Renders `checkoutDir` (path '.', mode auto, KUBECTL, default limits unless `options` says otherwise). */
export async function render(checkoutDir: string, options: Partial<RenderOptions> = {}): Promise<Manifest[]> {
  return (await renderManifests({ checkoutDir, path: '.', mode: 'auto', kubectl: KUBECTL, ...options })).manifests;
}

/** The ManifestError a render throws (fails the test if it does not throw one). */
export async function renderError(checkoutDir: string, options: Partial<RenderOptions> = {}): Promise<ManifestError> {
  const error = await render(checkoutDir, options).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(ManifestError);
  return error as ManifestError;
}

/** Render limits: the defaults with `overrides`. */
export const limits = (overrides: z.input<typeof renderLimitsSchema> = {}): RenderLimits => renderLimitsSchema.parse(overrides);

/** `render` with the limits first, as the budget tests read: `renderWithLimits(root, limits({ maxObjects: 6 }), { path })`. */
export function renderWithLimits(checkoutDir: string, renderLimits: RenderLimits = limits(), options: Partial<RenderOptions> = {}): Promise<Manifest[]> {
  return render(checkoutDir, { ...options, limits: renderLimits });
}

/** `renderError` with the limits first; a limit is a permanent failure of the render stage, so it checks that too. */
export async function renderWithLimitsError(...args: Parameters<typeof renderWithLimits>): Promise<ManifestError> {
  const [checkoutDir, renderLimits = limits(), options = {}] = args;
  const error = await renderError(checkoutDir, { ...options, limits: renderLimits });
  expect(error.stage).toBe('render');
  expect(error.permanent).toBe(true);
  return error;
}

/** Each object as [its file, its subject], in render order. */
export const summary = (manifests: Manifest[]) => manifests.map((m) => [m.file, subjectOf(m.object)]);

/** A ConfigMap manifest; `extra` is appended (indent it to go under metadata). */
export const cm = (name: string, extra = '') => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${extra}`;

/** The byte budget the fuzz tests give one file. */
export const FUZZ_MAX_BYTES = 64 * 1024;

/** YAML built from pieces that matter to a parser: anchors, aliases, merges, tags, nesting, scalars kubectl reads oddly. */
export const yamlSoup = fc
  .array(
    fc.oneof(
      fc.constantFrom('&a', '&b', '*a', '*b', '<<: ', '[', ']', '{', '}', ': ', ', ', '- ', '\n', '\n  ', '---\n', '? ', '| ', '> ', '#', '"', "'"),
      fc.constantFrom('!!binary ', '!!str ', '!!map ', '!custom ', '%YAML 1.1\n', '0644', 'on', '.inf', '.nan', '12:30', '~', 'null'),
      fc.constantFrom('apiVersion: v1\n', 'kind: ConfigMap\n', 'kind: List\n', 'metadata:\n  name: x\n', 'items:\n', '__proto__: ', 'constructor: '),
      fc.string({ maxLength: 8 }),
    ),
    { maxLength: 60 },
  )
  .map((parts) => parts.join(''));

/** A chain of anchors, each aliasing the ones before it: expansion grows as fanout^levels. */
export const aliasChain = fc
  .record({
    levels: fc.integer({ min: 1, max: 40 }),
    fanout: fc.integer({ min: 1, max: 12 }),
    leaf: fc.string({ maxLength: 20 }),
    merge: fc.boolean(),
    inObject: fc.boolean(),
  })
  .map(({ levels, fanout, leaf, merge, inObject }) => {
    const lines = [`n0: &n0 [${JSON.stringify(leaf)}]`];
    for (let i = 1; i < levels; i++) {
      const refs = Array.from({ length: fanout }, () => `*n${i - 1}`);
      lines.push(merge ? `n${i}: &n${i} {<<: {x: 1}, ${refs.map((r, j) => `k${j}: ${r}`).join(', ')}}` : `n${i}: &n${i} [${refs.join(', ')}]`);
    }
    const body = lines.join('\n');
    return inObject ? `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fuzz\ndata:\n${body.replace(/^/gm, '  ')}\n` : body;
  });
