import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HelmRepositoryConfig } from '../../src/config/helm.js';
import { subjectOf } from '../../src/sync/manifest.js';
import type { HelmRender } from '../../src/sync/render/index.js';
import { ChartRepository } from '../helpers/chart-repo.js';
import { chartYaml, configMapTemplate, pinnedHelm } from '../helpers/helm.js';
import { KUBECTL, limits, render, renderError, renderScratch } from '../helpers/render.js';

// kustomize's helmCharts with --enable-helm, a per-target opt-in (helm.kustomizeHelmCharts): a real
// `kubectl kustomize` running the pinned helm. Charts come from the commit's chartHome or, fetched
// by Driftless, from configured repositories; kustomize itself never pulls.

const scratch = renderScratch('driftless-render-helm-kustomize-');
let binary = '';
let repo: ChartRepository;
const db = { 'Chart.yaml': chartYaml('db', '2.1.0'), 'templates/db.yaml': configMapTemplate('db'), 'values.yaml': 'greeting: db\n' };

beforeAll(async () => {
  binary = await pinnedHelm();
  repo = await ChartRepository.start(binary, { db }, { token: 'tok' });
}, 20 * 60_000);
afterAll(() => repo?.close());

const helm = (repositories: HelmRepositoryConfig[] = []): HelmRender => ({
  binary,
  releaseName: 'unused',
  namespace: 'shop',
  valuesFiles: [],
  includeCrds: true,
  kubeVersion: 'v1.36.3',
  apiVersions: [],
  dependencies: { repositories, cacheDir: path.join(scratch.dir, 'cache') },
});
const options = (repositories?: HelmRepositoryConfig[]) => ({ path: 'app', mode: 'kustomize' as const, kubectl: KUBECTL, helm: helm(repositories), limits: limits() });

describe('kustomize helmCharts (helm.kustomizeHelmCharts)', () => {
  it('inflates a chart vendored in chartHome, with inline values and a values file of the commit', async () => {
    const dir = await scratch.tree({
      'app/kustomization.yaml': 'namePrefix: prod-\nhelmCharts:\n  - name: web\n    releaseName: shop\n    valuesFile: values-prod.yaml\n    valuesInline: { extra: 1 }\n',
      'app/values-prod.yaml': 'greeting: from-prod\n',
      'app/charts/web/Chart.yaml': chartYaml('web'),
      'app/charts/web/templates/web.yaml': configMapTemplate('web'),
    });
    const manifests = await render(dir, options());
    expect(manifests.map((m) => [subjectOf(m.object), m.file])).toEqual([['ConfigMap/prod-shop-web', 'app/kustomization.yaml']]);
    expect(manifests[0]!.object).toMatchObject({ data: { greeting: 'from-prod' } });
  });

  it('fetches a chart from a configured repository into chartHome, and refuses one that is not configured', async () => {
    const kustomization = `helmCharts:\n  - name: db\n    version: 2.1.0\n    repo: ${repo.url}\n    releaseName: shop\n`;
    const manifests = await render(await scratch.tree({ 'app/kustomization.yaml': kustomization }), options([{ url: repo.url, token: 'tok' }]));
    expect(manifests.map((m) => subjectOf(m.object))).toEqual(['ConfigMap/shop-db']);
    expect(repo.downloads).toEqual(['GET /charts/db-2.1.0.tgz']);

    const before = repo.requests.length;
    const err = await renderError(await scratch.tree({ 'app/kustomization.yaml': kustomization }), options());
    expect(err.problems).toEqual([expect.objectContaining({ file: 'app/kustomization.yaml', message: `helmCharts[0].repo: ${repo.url} is not one of targets[].helm.repositories (charts come only from repositories the configuration lists)` })]);
    expect(repo.requests.length).toBe(before);
  });

  it('refuses values from a URL, a chart that is not there, and helm charts without the opt-in', async () => {
    const dir = await scratch.tree({ 'app/kustomization.yaml': 'helmCharts:\n  - name: gone\n    valuesFile: https://example.com/values.yaml\n' });
    const err = await renderError(dir, options());
    expect(err.problems.map((p) => p.message)).toEqual(['helmCharts[0].valuesFile: "https://example.com/values.yaml" is remote; values come only from the commit', 'helmCharts[0]: chart gone is not in app/charts/ and names no repo']);
    const off = await renderError(dir, { ...options(), helm: undefined });
    expect(off.problems[0]?.message).toMatch(/^helmCharts: helm charts are not inflated inside kustomize unless the target sets helm.kustomizeHelmCharts/);
  });
});
