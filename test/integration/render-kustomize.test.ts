import { rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderLimitsSchema } from '../../src/config/schema.js';
import { ManifestError } from '../../src/errors.js';
import type { Manifest } from '../../src/sync/manifest.js';
import { subjectOf } from '../../src/sync/manifest.js';
import { renderManifests } from '../../src/sync/render/index.js';
import {
  FUZZ_MAX_BYTES,
  KUBECTL,
  aliasChain,
  cm,
  limits,
  render,
  renderError,
  renderScratch,
  renderWithLimits,
  renderWithLimitsError,
  summary,
  yamlSoup,
} from '../helpers/render.js';

/**
 * Renders that run a real `kubectl kustomize` (no cluster): `$KUBECTL`, else `kubectl` on the
 * PATH. The rest of the renderer's tests are unit tests (test/unit/render*.test.ts) and use no
 * kubectl, or a stand-in script where they need one to misbehave.
 */

const scratch = renderScratch('driftless-render-kustomize-');
const { tree } = scratch;

const base = {
  'deploy/base/kustomization.yaml': [
    'apiVersion: kustomize.config.k8s.io/v1beta1',
    'kind: Kustomization',
    'resources: [deployment.yaml, service.yaml]',
  ].join('\n'),
  'deploy/base/deployment.yaml': [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata: {name: web, annotations: {team: shop}}',
    'spec:',
    '  selector: {matchLabels: {app: web}}',
    '  template:',
    '    metadata: {labels: {app: web}}',
    '    spec:',
    '      containers: [{name: web, image: nginx, envFrom: [{configMapRef: {name: settings}}]}]',
  ].join('\n'),
  'deploy/base/service.yaml': 'apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {selector: {app: web}, ports: [{port: 80}]}\n',
};

const overlay = (extra = '') => [
  'apiVersion: kustomize.config.k8s.io/v1beta1',
  'kind: Kustomization',
  'namespace: shop',
  'namePrefix: prod-',
  'resources: [../../base]',
  'configMapGenerator:',
  '- name: settings',
  '  literals: [MODE=production]',
  extra,
].join('\n');

describe('kustomize render (real kubectl)', () => {
  it('builds an overlay with namePrefix and a configMapGenerator; its file is the kustomization', async () => {
    const root = await tree({ ...base, 'deploy/overlays/prod/kustomization.yaml': overlay() });

    const manifests = await render(root, { path: 'deploy/overlays/prod' });

    const kustomization = 'deploy/overlays/prod/kustomization.yaml';
    const byKind = Object.fromEntries(manifests.map((m) => [m.object.kind, m]));
    expect(manifests.map((m) => m.file)).toEqual([kustomization, kustomization, kustomization]);
    expect(Object.keys(byKind).sort()).toEqual(['ConfigMap', 'Deployment', 'Service']);
    expect(subjectOf(byKind.Service!.object)).toBe('Service/shop/prod-web');
    expect(subjectOf(byKind.Deployment!.object)).toBe('Deployment/shop/prod-web');
    const configMap = byKind.ConfigMap!.object as Manifest['object'] & { data: Record<string, string> };
    expect(configMap.metadata.name).toMatch(/^prod-settings-[a-z0-9]{10}$/);
    expect(configMap.data).toEqual({ MODE: 'production' });
    // kustomize rewrites the reference to the generated name
    expect(JSON.stringify(byKind.Deployment!.object)).toContain(`"name":"${configMap.metadata.name}"`);
    // the same build twice is the same result
    expect(await render(root, { path: 'deploy/overlays/prod' })).toEqual(manifests);
  });

  it('uses origin annotations for per-file sources and strips them', async () => {
    const root = await tree({ ...base, 'deploy/overlays/prod/kustomization.yaml': overlay('buildMetadata: [originAnnotations]') });

    const manifests = await render(root, { path: 'deploy/overlays/prod', mode: 'kustomize' });

    expect(manifests.map((m) => [m.object.kind, m.file]).sort()).toEqual([
      ['ConfigMap', 'deploy/overlays/prod/kustomization.yaml'],
      ['Deployment', 'deploy/base/deployment.yaml'],
      ['Service', 'deploy/base/service.yaml'],
    ]);
    for (const { object } of manifests) {
      expect(object.metadata.annotations?.['config.kubernetes.io/origin']).toBeUndefined();
    }
    const deployment = manifests.find((m) => m.object.kind === 'Deployment')!;
    expect(deployment.object.metadata.annotations).toEqual({ team: 'shop' });
    const service = manifests.find((m) => m.object.kind === 'Service')!;
    expect(service.object.metadata).not.toHaveProperty('annotations');
  });

  it('auto mode picks kustomize for kustomization.yml and Kustomization too', async () => {
    for (const file of ['kustomization.yml', 'Kustomization']) {
      const root = await tree({ 'app/cm.yaml': cm('x'), [`app/${file}`]: 'resources: [cm.yaml]\nnamePrefix: k-\n' });
      const manifests = await render(root, { path: 'app' });
      expect(summary(manifests)).toEqual([[`app/${file}`, 'ConfigMap/k-x']]);
    }
  });

  it('plain mode ignores a kustomization', async () => {
    const root = await tree({ 'app/cm.yaml': cm('x'), 'app/kustomization.yaml': 'resources: [cm.yaml]\nnamePrefix: k-\n' });
    expect(summary(await render(root, { path: 'app', mode: 'plain' }))).toEqual([['app/cm.yaml', 'ConfigMap/x']]);
  });

  const failures: { name: string; files: Record<string, string>; source: string; message: RegExp }[] = [
    {
      name: 'a missing resource',
      files: { 'deploy/broken/kustomization.yaml': 'resources: [missing.yaml]\n' },
      source: 'deploy/broken/kustomization.yaml',
      message: /missing\.yaml/,
    },
    {
      name: 'invalid YAML in the kustomization',
      files: { 'deploy/broken/kustomization.yaml': 'resources: [a\n  b: c\n' },
      source: 'deploy/broken/kustomization.yaml',
      message: /invalid Kustomization|yaml/i,
    },
    {
      name: 'invalid YAML in a resource',
      files: { 'deploy/broken/kustomization.yml': 'resources: [cm.yaml]\n', 'deploy/broken/cm.yaml': 'apiVersion: v1\nkind: [\n' },
      source: 'deploy/broken/kustomization.yml',
      message: /cm\.yaml/,
    },
  ];
  it.each(failures)('reports $name as one problem with kubectl\'s reason', async ({ files, source, message }) => {
    const root = await tree(files);
    const error = await renderError(root, { path: 'deploy/broken' });
    expect(error.permanent).toBe(true);
    expect(error.problems).toHaveLength(1);
    const [problem] = error.problems;
    expect(problem!.subject).toBe('kustomization');
    expect(problem!.file).toBe(source);
    expect(problem!.message).toMatch(message);
    // klog prefixes and the checkout's absolute path are noise on a pull request
    expect(problem!.message).not.toMatch(/^E\d{4}/);
    expect(problem!.message).not.toContain(scratch.dir);
  });

  it('refuses a resource that is a symbolic link out of the kustomization', async () => {
    const outside = await tree({ 'secret.yaml': cm('stolen') });
    const root = await tree({ 'app/kustomization.yaml': 'resources: [evil.yaml]\n' });
    await symlink(path.join(outside, 'secret.yaml'), path.join(root, 'app/evil.yaml'));
    const error = await renderError(root, { path: 'app' });
    expect(error.problems[0]!.message).toMatch(/security|not in or below/);
  });

  it('refuses kustomize mode without a kustomization', async () => {
    const root = await tree({ 'app/cm.yaml': cm('x') });
    const error = await renderError(root, { path: 'app', mode: 'kustomize' });
    expect(error.problems[0]!.message).toMatch(/no kustomization\.yaml/);
  });
});

describe('byte and object budgets (real kubectl)', () => {
  it('holds kustomize output to maxTotalBytes and maxObjects', async () => {
    const names = Array.from({ length: 30 }, (_, i) => `c${i}`);
    const root = await tree({
      // small inputs, a large output: every object gets the annotation
      'app/kustomization.yaml': `resources: [${names.map((n) => `${n}.yaml`).join(', ')}]\ncommonAnnotations: {note: "${'x'.repeat(1000)}"}\n`,
      ...Object.fromEntries(names.map((name) => [`app/${name}.yaml`, cm(name)])),
    });
    expect(await renderWithLimits(root, limits(), { path: 'app' })).toHaveLength(30);

    const tooMany = await renderWithLimitsError(root, limits({ maxObjects: 29 }), { path: 'app' });
    expect(tooMany.problems).toEqual([{ subject: 'kustomization', file: 'app/kustomization.yaml', message: 'the build has 30 objects, more than renderLimits.maxObjects (29)' }]);
    const tooBig = await renderWithLimitsError(root, limits({ maxTotalBytes: 8192 }), { path: 'app' });
    expect(tooBig.problems).toEqual([{ subject: 'kustomization', file: 'app/kustomization.yaml', message: 'kustomize output is larger than renderLimits.maxTotalBytes (8 KiB)' }]);
  });
});

/** Fuzzing the renderers (issue 13, item 8), here the half that can reach kustomize: see test/unit/render-fuzz.test.ts. */
describe('rendering under fuzz, in the render thread', () => {
  it('resolves or fails with a ManifestError for hostile trees, with this process\'s memory bounded', async () => {
    const fuzzLimits = renderLimitsSchema.parse({ maxFileBytes: FUZZ_MAX_BYTES, maxTotalBytes: 4 * FUZZ_MAX_BYTES, maxObjects: 200, timeout: '5s', maxMemoryMb: 64 });
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(yamlSoup, aliasChain), { minLength: 1, maxLength: 4 }), fc.boolean(), async (texts, kustomize) => {
        const files = Object.fromEntries(texts.map((text, i) => [`deploy/f${i}.yaml`, text]));
        if (kustomize) files['deploy/kustomization.yaml'] = `resources: [${texts.map((_, i) => `f${i}.yaml`).join(', ')}]\n`;
        const root = await tree(files);
        const outcome = await renderManifests({ checkoutDir: root, path: 'deploy', mode: 'auto', kubectl: KUBECTL, limits: fuzzLimits }).then(
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
