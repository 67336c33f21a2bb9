import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderLimitsSchema } from '../../src/config/schema.js';
import { ManifestError } from '../../src/errors.js';
import { renderManifests } from '../../src/sync/render/index.js';
import { checkKustomizeInputs } from '../../src/sync/render/kustomize-inputs.js';
import { RenderBudget } from '../../src/sync/render/limits.js';
import { parseDocuments } from '../../src/sync/render/yaml.js';
import { writeTree } from '../helpers/files.js';

/**
 * Fuzzing the renderers with fast-check (issue 13, item 8): hostile YAML and kustomizations never
 * crash them, never throw anything but a ManifestError, never expand past the byte budget, and
 * keep memory bounded. Seeds are fixed per run by fast-check and printed on failure.
 */

const KUBECTL = process.env.KUBECTL ?? 'kubectl';
const MAX_BYTES = 64 * 1024;

/** YAML built from pieces that matter to a parser: anchors, aliases, merges, tags, nesting, scalars kubectl reads oddly. */
const yamlSoup = fc
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
const aliasChain = fc
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

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'driftless-render-fuzz-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

let counter = 0;
/** Writes `files` (path → content) into a fresh directory and returns it. */
const tree = (files: Record<string, string>): Promise<string> => writeTree(path.join(scratch, `t${++counter}`), files);

describe('YAML parsing under fuzz', () => {
  it('returns documents or a problem for any text, never throws, and never expands past the budget', () => {
    fc.assert(
      fc.property(fc.oneof(yamlSoup, aliasChain, fc.string({ unit: 'binary', maxLength: 200 })), (text) => {
        const started = performance.now();
        const parsed = parseDocuments(text, 'fuzz.yaml', MAX_BYTES);
        if ('problem' in parsed) {
          expect(parsed.problem.file).toBe('fuzz.yaml');
          expect(parsed.problem.message).not.toBe('');
        } else {
          expect(parsed.expandedBytes).toBeLessThanOrEqual(MAX_BYTES);
          // JSON spells a node in a handful of characters more than the measure counts
          expect(JSON.stringify(parsed.documents).length).toBeLessThanOrEqual(8 * MAX_BYTES);
        }
        expect(performance.now() - started).toBeLessThan(2000);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('kustomization input check under fuzz', () => {
  const entry = fc.oneof(
    fc.constantFrom('cm.yaml', 'base', '../base', '../../outside', '/etc/passwd', 'http://127.0.0.1:1/x.yaml', 'github.com/org/repo//x?ref=v1', 'git@github.com:org/repo', 'key=cm.yaml', ''),
    fc.string({ maxLength: 12 }),
    fc.anything({ maxDepth: 2 }),
  );
  const kustomization = fc.dictionary(
    fc.constantFrom('resources', 'bases', 'components', 'patches', 'patchesStrategicMerge', 'configMapGenerator', 'secretGenerator', 'openapi', 'replacements', 'crds', 'generators', 'helmCharts', 'namePrefix', 'unknownField'),
    fc.oneof(fc.array(fc.oneof(entry, fc.record({ path: entry, files: fc.array(entry, { maxLength: 3 }), env: entry }, { requiredKeys: [] })), { maxLength: 4 }), entry, fc.record({ path: entry }, { requiredKeys: [] })),
    { maxKeys: 4 },
  );

  it('answers every kustomization with problems or none, and passes only local files inside the checkout', async () => {
    const root = await tree({ 'app/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n', 'base/kustomization.yaml': 'resources: []\n' });
    await fc.assert(
      fc.asyncProperty(kustomization, async (document) => {
        await writeFile(path.join(root, 'app/kustomization.yaml'), JSON.stringify(document));
        const budget = new RenderBudget(renderLimitsSchema.parse({}));
        const problems = await checkKustomizeInputs({ root, dir: 'app', file: 'kustomization.yaml', budget });
        const named = JSON.stringify(document);
        if (/:\/\/|git@|\?ref=|\/etc\/passwd|outside|generators|helmCharts|unknownField/.test(named) && problems.length === 0) {
          // whatever named one of those was not taken as a path (an inline patch, a literal)
          expect(named).toMatch(/patches|patchesStrategicMerge|replacements|namePrefix/);
        }
        for (const problem of problems) expect(problem.subject).toBe('kustomization');
      }),
      { numRuns: 400 },
    );
  });
});

describe('rendering under fuzz, in the render thread', () => {
  it('resolves or fails with a ManifestError for hostile trees, with this process\'s memory bounded', async () => {
    const limits = renderLimitsSchema.parse({ maxFileBytes: MAX_BYTES, maxTotalBytes: 4 * MAX_BYTES, maxObjects: 200, timeout: '5s', maxMemoryMb: 64 });
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(yamlSoup, aliasChain), { minLength: 1, maxLength: 4 }), fc.boolean(), async (texts, kustomize) => {
        const files = Object.fromEntries(texts.map((text, i) => [`deploy/f${i}.yaml`, text]));
        if (kustomize) files['deploy/kustomization.yaml'] = `resources: [${texts.map((_, i) => `f${i}.yaml`).join(', ')}]\n`;
        const root = await tree(files);
        const outcome = await renderManifests({ checkoutDir: root, path: 'deploy', mode: 'auto', kubectl: KUBECTL, limits }).then(
          (rendered) => rendered.manifests,
          (err: unknown) => err,
        );
        if (!Array.isArray(outcome)) expect(outcome).toBeInstanceOf(ManifestError);
        peak = Math.max(peak, process.memoryUsage().rss);
        await rm(root, { recursive: true, force: true });
      }),
      { numRuns: 40 },
    );
    // threads are capped at 64 MiB of heap each; this process never holds an expanded bomb
    expect(peak - rssBefore).toBeLessThan(400 * 1024 * 1024);
  }, 180_000);
});
