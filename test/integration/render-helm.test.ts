import { cp, mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { DriftlessError } from '../../src/errors.js';
import { subjectOf } from '../../src/sync/manifest.js';
import { checkHelm } from '../../src/sync/render/helm-binary.js';
import type { HelmRender } from '../../src/sync/render/index.js';
import { chartYaml, configMapTemplate, pinnedHelm } from '../helpers/helm.js';
import { runProcess } from '../helpers/process.js';
import { limits, render, renderError, renderScratch } from '../helpers/render.js';

// `render: helm` with the real, pinned helm (scripts/helm) and no cluster: the capabilities a
// sync reads from discovery are given here. What a chart gets wrong fails naming its file.

const scratch = renderScratch('driftless-render-helm-');
const root = path.resolve(import.meta.dirname, '../..');
let binary = '';

beforeAll(async () => {
  binary = await pinnedHelm();
}, 20 * 60_000);

const helmOptions = (overrides: Partial<HelmRender> = {}): HelmRender => ({
  binary,
  releaseName: 'shop',
  namespace: 'shop-prod',
  valuesFiles: [],
  includeCrds: true,
  kubeVersion: 'v1.36.3',
  apiVersions: ['v1', 'apps/v1', 'apps/v1/Deployment'],
  dependencies: { repositories: [], cacheDir: path.join(scratch.dir, 'helm-charts') },
  ...overrides,
});
const renderChart = (dir: string, chartPath: string, helm: Partial<HelmRender> = {}, renderLimits = limits()) => render(dir, { path: chartPath, mode: 'helm', helm: helmOptions(helm), limits: renderLimits });
const chartError = (dir: string, chartPath: string, helm: Partial<HelmRender> = {}, renderLimits = limits()) => renderError(dir, { path: chartPath, mode: 'helm', helm: helmOptions(helm), limits: renderLimits });

const crd = [
  'apiVersion: apiextensions.k8s.io/v1',
  'kind: CustomResourceDefinition',
  'metadata: { name: widgets.example.com }',
  'spec:',
  '  group: example.com',
  '  names: { kind: Widget, plural: widgets }',
  '  scope: Namespaced',
  '  versions: [{ name: v1, served: true, storage: true, schema: { openAPIV3Schema: { type: object, x-kubernetes-preserve-unknown-fields: true } } }]',
  '',
].join('\n');

describe('render: helm', () => {
  it('renders with the release name, the namespace, values files in order and the configured values last, each object naming its template', async () => {
    const dir = await scratch.tree({
      'charts/shop/Chart.yaml': chartYaml('shop'),
      'charts/shop/values.yaml': 'greeting: from-chart\nsize: small\n',
      'charts/shop/values-prod.yaml': 'greeting: from-prod\n',
      'charts/shop/crds/widget.yaml': crd,
      'charts/shop/templates/config.yaml': configMapTemplate('config'),
      'charts/shop/templates/size.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: size\ndata:\n  size: {{ .Values.size }}\n',
      'charts/shop/templates/widget.yaml': 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: {{ .Release.Name }}\nspec: {}\n',
      'common/values.yaml': 'size: large\n',
    });
    const manifests = await renderChart(dir, 'charts/shop', { valuesFiles: ['charts/shop/values-prod.yaml', 'common/values.yaml'], values: { greeting: 'from-config' } });
    expect(manifests.map((m) => [subjectOf(m.object), m.file])).toEqual([
      ['CustomResourceDefinition/widgets.example.com', 'charts/shop/crds/widget.yaml'],
      ['ConfigMap/shop-config', 'charts/shop/templates/config.yaml'],
      ['ConfigMap/size', 'charts/shop/templates/size.yaml'],
      ['Widget/shop', 'charts/shop/templates/widget.yaml'],
    ]);
    expect(manifests[1]!.object).toMatchObject({ data: { greeting: 'from-config', namespace: 'shop-prod' } });
    expect(manifests[2]!.object).toMatchObject({ data: { size: 'large' } });

    const withoutCrds = await renderChart(dir, 'charts/shop', { includeCrds: false });
    expect(withoutCrds.map((m) => m.object.kind)).toEqual(['ConfigMap', 'ConfigMap', 'Widget']);
    expect(withoutCrds[0]!.object).toMatchObject({ data: { greeting: 'from-chart' } });
  });

  it('gives the chart the cluster version and API versions it is told, and lookup finds nothing', async () => {
    const dir = await scratch.tree({
      'Chart.yaml': chartYaml('caps'),
      'templates/caps.yaml': [
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata: { name: caps }',
        'data:',
        '  version: {{ .Capabilities.KubeVersion.Version | quote }}',
        '  widgets: {{ .Capabilities.APIVersions.Has "example.com/v1/Widget" | quote }}',
        '  deployments: {{ .Capabilities.APIVersions.Has "apps/v1/Deployment" | quote }}',
        '  found: {{ (lookup "v1" "Secret" .Release.Namespace "anything") | len | quote }}',
        '',
      ].join('\n'),
    });
    const [caps] = await renderChart(dir, '.');
    expect(caps!.object).toMatchObject({ data: { version: 'v1.36.3', widgets: 'false', deployments: 'true', found: '0' } });
    const [withWidgets] = await renderChart(dir, '.', { kubeVersion: 'v1.35.0', apiVersions: ['example.com/v1/Widget'] });
    expect(withWidgets!.object).toMatchObject({ data: { version: 'v1.35.0', widgets: 'true' } });
  });

  it('renders vendored dependencies offline: a subchart folder and a helm package archive', async () => {
    const dir = await scratch.tree({
      'app/Chart.yaml': chartYaml('app', '1.0.0', 'dependencies:\n  - { name: cache, version: 1.0.0 }\n  - { name: db, version: 2.0.0 }\n'),
      'app/templates/app.yaml': configMapTemplate('app'),
      'app/values.yaml': 'greeting: app\ndb: { greeting: db-from-parent }\n',
      'app/charts/cache/Chart.yaml': chartYaml('cache', '1.0.0'),
      'app/charts/cache/templates/cache.yaml': configMapTemplate('cache'),
      'app/charts/cache/values.yaml': 'greeting: cache\n',
      'db/Chart.yaml': chartYaml('db', '2.0.0'),
      'db/templates/db.yaml': configMapTemplate('db'),
    });
    const packaged = await runProcess(binary, ['package', path.join(dir, 'db'), '--destination', path.join(dir, 'app/charts')], { env: { HOME: scratch.dir } });
    expect(packaged.stderr).toBe('');
    const manifests = await renderChart(dir, 'app');
    expect(manifests.map((m) => [subjectOf(m.object), m.file])).toEqual([
      ['ConfigMap/shop-cache', 'app/charts/cache/templates/cache.yaml'],
      ['ConfigMap/shop-db', 'app/charts/db/templates/db.yaml'],
      ['ConfigMap/shop-app', 'app/templates/app.yaml'],
    ]);
    expect(manifests[1]!.object).toMatchObject({ data: { greeting: 'db-from-parent' } });
  });

  it('renders the project chart (helm/driftless) as Driftless would deploy itself', async () => {
    const dir = await scratch.tree({});
    await cp(path.join(root, 'helm/driftless'), path.join(dir, 'deploy/driftless'), { recursive: true });
    const manifests = await renderChart(dir, 'deploy/driftless', { releaseName: 'driftless', namespace: 'driftless', valuesFiles: ['deploy/driftless/ci/minimal-values.yaml'] });
    expect(manifests.length).toBeGreaterThan(5);
    expect(manifests.every((m) => m.file.startsWith('deploy/driftless/templates/'))).toBe(true);
    expect(manifests.map((m) => subjectOf(m.object))).toContain('Deployment/driftless/driftless-web');
  });
});

describe('render: helm refuses bad input, naming the file', () => {
  it('a template error, with its line', async () => {
    const dir = await scratch.tree({ 'Chart.yaml': chartYaml('bad'), 'templates/ok.yaml': configMapTemplate('ok'), 'templates/broken.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.missing.deeper }}\n' });
    const err = await chartError(dir, '.');
    expect(err.problems).toEqual([expect.objectContaining({ file: 'templates/broken.yaml', line: 4, message: expect.stringContaining('nil pointer evaluating interface {}.deeper') })]);
  });

  it('a template that renders invalid YAML', async () => {
    const dir = await scratch.tree({ 'deploy/Chart.yaml': chartYaml('bad'), 'deploy/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n data: 1\n' });
    const err = await chartError(dir, 'deploy');
    expect(err.problems).toEqual([expect.objectContaining({ file: 'deploy/templates/cm.yaml', message: expect.stringContaining('YAML parse error') })]);
  });

  it('a missing values file, before helm runs', async () => {
    const dir = await scratch.tree({ 'Chart.yaml': chartYaml('c'), 'templates/cm.yaml': configMapTemplate('cm') });
    const err = await chartError(dir, '.', { valuesFiles: ['values-prod.yaml'] });
    expect(err.problems).toEqual([expect.objectContaining({ file: 'values-prod.yaml', message: 'values file does not exist in this commit (targets[].helm.valuesFiles)' })]);
  });

  it('a chart that requires another Kubernetes version', async () => {
    const dir = await scratch.tree({ 'c/Chart.yaml': chartYaml('c', '0.1.0', 'kubeVersion: ">=1.99.0"\n'), 'c/templates/cm.yaml': configMapTemplate('cm') });
    const err = await chartError(dir, 'c');
    expect(err.problems).toEqual([expect.objectContaining({ file: 'c/Chart.yaml', message: 'chart requires kubeVersion: >=1.99.0 which is incompatible with Kubernetes v1.36.3' })]);
  });

  it('a dependency that is neither vendored nor from a configured repository', async () => {
    const dir = await scratch.tree({ 'Chart.yaml': chartYaml('c', '0.1.0', 'dependencies:\n  - { name: redis, version: 1.0.0, repository: "https://charts.example.invalid" }\n'), 'templates/cm.yaml': configMapTemplate('cm') });
    const err = await chartError(dir, '.');
    expect(err.problems).toEqual([expect.objectContaining({ file: 'Chart.yaml', message: expect.stringContaining('redis') })]);
  });

  it('a symbolic link out of the checkout, which a template could read with .Files', async () => {
    const dir = await scratch.tree({ 'Chart.yaml': chartYaml('c'), 'templates/leak.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: leak }\ndata: { token: {{ .Files.Get "token" | quote }} }\n' });
    await symlink('/etc/hostname', path.join(dir, 'token'));
    const err = await chartError(dir, '.');
    expect(err.problems).toEqual([expect.objectContaining({ file: 'token', message: 'symbolic link points outside the checkout (helm would read what it points to)' })]);
  });

  it('an archive in charts/ that unpacks past the render budget, in milliseconds', async () => {
    const dir = await scratch.tree({ 'Chart.yaml': chartYaml('c'), 'templates/cm.yaml': configMapTemplate('cm') });
    await mkdir(path.join(dir, 'charts'));
    await writeFile(path.join(dir, 'charts/bomb-1.0.0.tgz'), gzipSync(Buffer.alloc(64 * 1024 * 1024)));
    const started = performance.now();
    const err = await chartError(dir, '.', {}, limits({ maxTotalBytes: 1024 * 1024 }));
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(err.problems).toEqual([expect.objectContaining({ file: 'charts/bomb-1.0.0.tgz', message: 'the archive unpacks to more than renderLimits.maxTotalBytes (1 MiB)' })]);
  });

  it('output past maxTotalBytes and more objects than maxObjects', async () => {
    const dir = await scratch.tree({
      'Chart.yaml': chartYaml('many'),
      'templates/many.yaml': '{{- range until (int .Values.count) }}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: cm-{{ . }} }\ndata: { pad: {{ $.Values.pad | quote }} }\n{{- end }}\n',
      'values.yaml': 'count: 20\npad: x\n',
    });
    const tooMany = await chartError(dir, '.', {}, limits({ maxObjects: 10 }));
    expect(tooMany.problems[0]).toMatchObject({ file: 'Chart.yaml', message: 'the chart renders 20 objects, more than renderLimits.maxObjects (10)' });
    const tooBig = await chartError(dir, '.', { values: { count: 100_000 } }, limits({ maxTotalBytes: 256 * 1024 }));
    expect(tooBig.problems[0]).toMatchObject({ file: 'Chart.yaml', message: 'helm template output is larger than renderLimits.maxTotalBytes (256 KiB)' });
  });

  it('no Chart.yaml at the path', async () => {
    const dir = await scratch.tree({ 'deploy/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\n' });
    const err = await chartError(dir, 'deploy');
    expect(err.problems).toEqual([expect.objectContaining({ file: 'deploy/Chart.yaml', message: 'render is helm but there is no Chart.yaml here' })]);
  });
});

describe('the helm binary', () => {
  it('is checked: the pinned helm passes, a missing one names the version needed', async () => {
    expect(await checkHelm(binary)).toBe('v3.21.4');
    const missing = await checkHelm(path.join(scratch.dir, 'no-such-helm')).catch((err: unknown) => err);
    expect(missing).toBeInstanceOf(DriftlessError);
    expect((missing as Error).message).toMatch(/^cannot run helm \(.*no-such-helm: ENOENT\): rendering charts needs Helm v3\.8\.0 or newer, below v4 \(tested with v3\.21\.4\)/);
  });

  it('refuses a helm that is too old', async () => {
    const fake = path.join(scratch.dir, 'old-helm');
    await writeFile(fake, '#!/bin/sh\necho v3.7.2\n', { mode: 0o755 });
    await expect(checkHelm(fake)).rejects.toThrow(`Helm v3.7.2 is too old: Driftless needs Helm v3.8.0 or newer, below v4 (tested with v3.21.4) (${fake})`);
  });
});
