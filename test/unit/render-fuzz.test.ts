import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderLimitsSchema } from '../../src/config/schema.js';
import { checkKustomizeInputs } from '../../src/sync/render/kustomize-inputs.js';
import { RenderBudget } from '../../src/sync/render/limits.js';
import { parseDocuments } from '../../src/sync/render/yaml.js';
import { FUZZ_MAX_BYTES, aliasChain, renderScratch, yamlSoup } from '../helpers/render.js';

/**
 * Fuzzing the renderers with fast-check (issue 13, item 8): hostile YAML and kustomizations never
 * crash them, never throw anything but a ManifestError, never expand past the byte budget, and
 * keep memory bounded. Seeds are fixed per run by fast-check and printed on failure.
 */

const { tree } = renderScratch('driftless-render-fuzz-');

describe('YAML parsing under fuzz', () => {
  it('returns documents or a problem for any text, never throws, and never expands past the budget', () => {
    fc.assert(
      fc.property(fc.oneof(yamlSoup, aliasChain, fc.string({ unit: 'binary', maxLength: 200 })), (text) => {
        const started = performance.now();
        const parsed = parseDocuments(text, 'fuzz.yaml', FUZZ_MAX_BYTES);
        if ('problem' in parsed) {
          expect(parsed.problem.file).toBe('fuzz.yaml');
          expect(parsed.problem.message).not.toBe('');
        } else {
          expect(parsed.expandedBytes).toBeLessThanOrEqual(FUZZ_MAX_BYTES);
          // JSON spells a node in a handful of characters more than the measure counts
          expect(JSON.stringify(parsed.documents).length).toBeLessThanOrEqual(8 * FUZZ_MAX_BYTES);
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
