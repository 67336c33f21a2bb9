import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HelmRepositoryConfig } from '../../src/config/helm.js';
import { subjectOf } from '../../src/sync/manifest.js';
import type { HelmRender } from '../../src/sync/render/index.js';
import { ChartRepository } from '../helpers/chart-repo.js';
import { OciRegistry } from '../helpers/oci-registry.js';
import { chartYaml, configMapTemplate, pinnedHelm } from '../helpers/helm.js';
import { limits, render, renderError, renderScratch } from '../helpers/render.js';

// Chart dependencies from a real chart repository served here (`helm package` archives and the
// index `helm repo index` writes), fetched only from repositories the configuration lists, with
// basic auth or a token, and cached by digest.

const scratch = renderScratch('driftless-render-helm-deps-');
let binary = '';
let basic: ChartRepository;
let bearer: ChartRepository;
let oci: OciRegistry;
const db = { 'Chart.yaml': chartYaml('db', '2.1.0'), 'templates/db.yaml': configMapTemplate('db'), 'values.yaml': 'greeting: db\n' };
const dbNext = { ...db, 'Chart.yaml': chartYaml('db', '2.2.0') };

beforeAll(async () => {
  binary = await pinnedHelm();
  basic = await ChartRepository.start(binary, { db, dbNext }, { username: 'reader', password: 's3cret' });
  bearer = await ChartRepository.start(binary, { db }, { token: 'tok-123' });
  oci = await OciRegistry.start();
  await oci.push(binary, 'charts', db);
}, 20 * 60_000);
afterAll(async () => {
  await oci?.close();
  await basic?.close();
  await bearer?.close();
});

const app = (repository: string, lockVersion = '2.1.0', range = '~2.1.0') => ({
  'app/Chart.yaml': chartYaml('app', '1.0.0', `dependencies:\n  - name: db\n    version: "${range}"\n    repository: ${repository}\n`),
  'app/Chart.lock': `dependencies:\n- name: db\n  repository: ${repository}\n  version: ${lockVersion}\ndigest: sha256:0000\ngenerated: "2026-11-30T00:00:00Z"\n`,
  'app/templates/app.yaml': configMapTemplate('app'),
  'app/values.yaml': 'greeting: app\n',
});

const helmOptions = (repositories: HelmRepositoryConfig[], cacheDir = path.join(scratch.dir, 'cache')): HelmRender => ({
  binary,
  releaseName: 'shop',
  namespace: 'shop',
  valuesFiles: [],
  includeCrds: true,
  kubeVersion: 'v1.36.3',
  apiVersions: [],
  dependencies: { repositories, cacheDir },
});
const renderApp = (dir: string, repositories: HelmRepositoryConfig[], cacheDir?: string) => render(dir, { path: 'app', mode: 'helm', helm: helmOptions(repositories, cacheDir), limits: limits() });
const appError = (dir: string, repositories: HelmRepositoryConfig[]) => renderError(dir, { path: 'app', mode: 'helm', helm: helmOptions(repositories), limits: limits() });

describe('chart dependencies from configured repositories', () => {
  it('builds a Chart.lock dependency from an HTTP repository with basic auth, once per digest', async () => {
    const cacheDir = path.join(scratch.dir, 'cache-basic');
    const repositories = [{ url: basic.url, username: 'reader', password: 's3cret' }];
    const first = await renderApp(await scratch.tree(app(basic.url)), repositories, cacheDir);
    expect(first.map((m) => [subjectOf(m.object), m.file])).toEqual([
      ['ConfigMap/shop-db', 'app/charts/db/templates/db.yaml'],
      ['ConfigMap/shop-app', 'app/templates/app.yaml'],
    ]);
    expect(basic.downloads).toEqual(['GET /charts/db-2.1.0.tgz']);
    expect(await readdir(cacheDir)).toEqual([expect.stringMatching(/^sha256-[0-9a-f]{64}\.tgz$/)]);

    // another commit, the same digest: the index is read again, the archive comes from the cache
    const again = await renderApp(await scratch.tree(app(basic.url)), repositories, cacheDir);
    expect(again).toHaveLength(2);
    expect(basic.downloads).toHaveLength(1);
    expect(basic.requests.filter((r) => r.path === 'GET /charts/index.yaml')).toHaveLength(2);

    // Chart.lock decides the version; a new lock, a new archive
    await renderApp(await scratch.tree(app(basic.url, '2.2.0', '~2.2.0')), repositories, cacheDir);
    expect(basic.downloads).toEqual(['GET /charts/db-2.1.0.tgz', 'GET /charts/db-2.2.0.tgz']);
  });

  it('sends a token to a repository configured with one', async () => {
    const manifests = await renderApp(await scratch.tree(app(bearer.url)), [{ url: bearer.url, token: 'tok-123' }]);
    expect(manifests.map((m) => m.file)).toContain('app/charts/db/templates/db.yaml');
    expect(bearer.requests.every((r) => r.authorized)).toBe(true);
  });

  it('refuses a repository the configuration does not list, and never contacts it', async () => {
    const before = bearer.requests.length;
    const err = await appError(await scratch.tree(app(bearer.url)), [{ url: basic.url, username: 'reader', password: 's3cret' }]);
    expect(err.problems).toEqual([
      expect.objectContaining({ file: 'app/Chart.lock', message: `dependency db: ${bearer.url} is not one of targets[].helm.repositories (charts come only from repositories the configuration lists)` }),
    ]);
    expect(bearer.requests.length).toBe(before);
  });

  it('names the lock file when the credentials are refused or the version does not exist', async () => {
    const refused = await appError(await scratch.tree(app(basic.url)), [{ url: basic.url, username: 'reader', password: 'wrong' }]);
    expect(refused.problems[0]).toMatchObject({ file: 'app/Chart.lock', message: expect.stringContaining('answered HTTP 401 (check the repository credentials in targets[].helm.repositories)') });
    const missing = await appError(await scratch.tree(app(basic.url, '9.9.9')), [{ url: basic.url, username: 'reader', password: 's3cret' }]);
    expect(missing.problems[0]).toMatchObject({ file: 'app/Chart.lock', message: `dependency db: ${basic.url} has no chart db at version 9.9.9` });
  });

  it('refuses a version range without Chart.lock', async () => {
    const files = app(basic.url);
    delete (files as Record<string, string>)['app/Chart.lock'];
    const err = await appError(await scratch.tree(files), [{ url: basic.url, username: 'reader', password: 's3cret' }]);
    expect(err.problems[0]).toMatchObject({ file: 'app/Chart.yaml', message: expect.stringContaining('version "~2.1.0" is a range; run helm dependency update and commit Chart.lock') });
  });

  it('pulls a dependency from an OCI registry (distribution, charts pushed with helm push), checked and cached by its layer digest', async () => {
    const url = `oci://${oci.host}/charts`;
    const cacheDir = path.join(scratch.dir, 'cache-oci');
    const manifests = await renderApp(await scratch.tree(app(url)), [{ url }], cacheDir);
    expect(manifests.map((m) => [subjectOf(m.object), m.file])).toContainEqual(['ConfigMap/shop-db', 'app/charts/db/templates/db.yaml']);
    expect(await readdir(cacheDir)).toEqual([expect.stringMatching(/^sha256-[0-9a-f]{64}\.tgz$/)]);
    const missing = await appError(await scratch.tree(app(url, '9.9.9')), [{ url }]);
    expect(missing.problems[0]).toMatchObject({ file: 'app/Chart.lock', message: expect.stringContaining(`the manifest of db:9.9.9: http://${oci.host}/v2/charts/db/manifests/9.9.9 answered HTTP 404`) });
  });
});
