import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getObject, listObjects } from '../../src/kube/objects.js';
import { commentMarker } from '../../src/report/comment.js';
import { DriftlessHarness, pullRequestPayload } from '../helpers/driftless.js';
import { ChartRepository } from '../helpers/chart-repo.js';
import { chartYaml, configMapTemplate, pinnedHelm } from '../helpers/helm.js';
import { testKube, withControllers } from '../helpers/kube.js';

// render: helm end to end: Driftless (web + workers, in-process) deploys charts from a real git
// server to the real API server with the pinned helm. A chart with crds/ and a custom resource;
// an upgrade that drops a template prunes its object; a values-file change in a pull request
// previews the rendered diff; and the project's own chart, as Driftless deploying itself.

const { client, discovery } = testKube();
const root = path.resolve(import.meta.dirname, '../..');

beforeAll(async () => {
  await pinnedHelm();
}, 20 * 60_000);
afterAll(() => client.close());

const crd = (group: string) =>
  [
    'apiVersion: apiextensions.k8s.io/v1',
    'kind: CustomResourceDefinition',
    `metadata: { name: widgets.${group} }`,
    'spec:',
    `  group: ${group}`,
    '  names: { kind: Widget, plural: widgets }',
    '  scope: Namespaced',
    '  versions: [{ name: v1, served: true, storage: true, schema: { openAPIV3Schema: { type: object, x-kubernetes-preserve-unknown-fields: true } } }]',
    '',
  ].join('\n');

describe('a chart in the repository (render: helm)', () => {
  let h: DriftlessHarness;
  let namespace: string;
  let group: string;
  beforeAll(async () => {
    ({ h, namespace } = await DriftlessHarness.startInNewNamespace('helm', { targetYaml: '    render: helm\n    allowClusterScoped: true\n    helm: { releaseName: shop, valuesFiles: [values-prod.yaml], values: { tier: gold } }' }));
    group = `${namespace}.example.com`;
  });
  afterAll(async () => {
    await h?.close();
    await client.request('DELETE', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.${group}`).catch(() => undefined);
  });

  const configMap = async (name: string) => getObject(client, (await discovery.resourceFor('v1', 'ConfigMap'))!, namespace, name);
  const terminal = (sha: string) => h.statuses(sha).find((s) => s.state !== 'pending' && s.context === `driftless/${namespace}`);

  it('deploys CRDs from crds/ with a custom resource, prunes the object of a removed template, and previews a values change on a pull request', async () => {
    const chart = {
      'deploy/Chart.yaml': chartYaml('shop'),
      'deploy/values.yaml': 'greeting: hello\n',
      'deploy/values-prod.yaml': 'greeting: hello-prod\n',
      'deploy/crds/widget.yaml': crd(group),
      'deploy/templates/config.yaml': configMapTemplate('config') + '  tier: {{ .Values.tier | quote }}\n',
      'deploy/templates/widget.yaml': `apiVersion: ${group}/v1\nkind: Widget\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  size: 3\n`,
      'deploy/templates/extra.yaml': configMapTemplate('extra'),
    };
    const first = await h.commitAndPush('the shop chart', chart);
    expect(first.res.status).toBe(202);
    await expect.poll(() => terminal(first.sha)?.state, { timeout: 60_000 }).toBe('success');
    expect(terminal(first.sha)?.description).toBe('deployed: 4 created');
    expect((await configMap('shop-config'))?.data).toEqual({ greeting: 'hello-prod', namespace, tier: 'gold' });
    const widgets = await discovery.resourceFor(`${group}/v1`, 'Widget');
    expect((await getObject(client, widgets!, namespace, 'shop'))?.spec).toEqual({ size: 3 });

    // an upgrade of the chart that drops a template deletes what it rendered
    const upgrade = await h.commitAndPush('drop extra', { 'deploy/templates/extra.yaml': null, 'deploy/Chart.yaml': chartYaml('shop', '0.2.0') });
    await expect.poll(() => terminal(upgrade.sha)?.state, { timeout: 60_000 }).toBe('success');
    expect(terminal(upgrade.sha)?.description).toBe('deployed: 1 deleted');
    expect(await configMap('shop-extra')).toBeUndefined();
    expect(await configMap('shop-config')).toBeDefined();

    // a pull request that changes a values file shows the rendered change, file and all
    const PR = 12;
    await h.repo.branch('values');
    await h.repo.checkout('values');
    const head = await h.repo.commit('prod says hi', { 'deploy/values-prod.yaml': 'greeting: hi-prod\n' });
    h.github.setPull(h.repoName, { number: PR, user: 'dev', head: { ref: 'values', sha: head }, base: { ref: 'main' } });
    await h.push(pullRequestPayload({ repo: h.repoName, number: PR, action: 'opened', headRef: 'values', headSha: head }), { event: 'pull_request' });
    const diff = () => h.statuses(head).find((s) => s.context === `driftless/${namespace}/diff` && s.state !== 'pending');
    await expect.poll(() => diff()?.description, { timeout: 60_000 }).toBe('1 to change');
    const comment = () => h.github.comments(h.repoName, PR).find((c) => c.body.includes(commentMarker))?.body ?? '';
    await expect.poll(comment, { timeout: 10_000 }).toContain('ConfigMap/' + namespace + '/shop-config');
    expect(comment()).toContain('deploy/templates/config.yaml');
    expect(comment()).toMatch(/-\s+greeting: hello-prod/);
    expect(comment()).toMatch(/\+\s+greeting: hi-prod/);
    expect((await configMap('shop-config'))?.data).toMatchObject({ greeting: 'hello-prod' });
  });
});

describe('a chart whose dependency comes from a chart repository', () => {
  let h: DriftlessHarness;
  let namespace: string;
  let repo: ChartRepository;
  beforeAll(async () => {
    const helm = await pinnedHelm();
    repo = await ChartRepository.start(helm, { cache: { 'Chart.yaml': chartYaml('cache', '1.2.3'), 'templates/cache.yaml': configMapTemplate('cache'), 'values.yaml': 'greeting: cache\n' } }, { username: 'ci', password: 'pw' });
    ({ h, namespace } = await DriftlessHarness.startInNewNamespace('helmdep', { targetYaml: `    render: helm\n    helm: { repositories: [{ url: "${repo.url}", username: ci, password: pw }] }` }));
  });
  afterAll(async () => {
    await h?.close();
    await repo?.close();
  });

  it('fetches the locked dependency from the configured repository and deploys both charts', async () => {
    const push = await h.commitAndPush('app with a cache', {
      'deploy/Chart.yaml': chartYaml('app', '1.0.0', `dependencies:\n  - { name: cache, version: 1.2.3, repository: "${repo.url}" }\n`),
      'deploy/Chart.lock': `dependencies:\n- name: cache\n  repository: ${repo.url}\n  version: 1.2.3\n`,
      'deploy/values.yaml': 'greeting: app\n',
      'deploy/templates/app.yaml': configMapTemplate('app'),
    });
    await expect.poll(() => h.statuses(push.sha).find((s) => s.state !== 'pending')?.state, { timeout: 60_000 }).toBe('success');
    const configMaps = await discovery.resourceFor('v1', 'ConfigMap');
    expect((await getObject(client, configMaps!, namespace, `${namespace}-cache`))?.data).toMatchObject({ greeting: 'cache' });
    expect((await getObject(client, configMaps!, namespace, `${namespace}-app`))?.data).toMatchObject({ greeting: 'app' });
    expect(repo.downloads).toEqual(['GET /charts/cache-1.2.3.tgz']);
  });
});

/** Every file of the project's chart, as repository paths under `deploy/`. */
async function projectChart(): Promise<Record<string, string>> {
  const chart = path.join(root, 'helm', 'driftless');
  const files: Record<string, string> = {};
  for (const entry of await readdir(chart, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const absolute = path.join(entry.parentPath, entry.name);
    files[path.posix.join('deploy', path.relative(chart, absolute).split(path.sep).join('/'))] = await readFile(absolute, 'utf8');
  }
  return files;
}

describe('Driftless deploys itself from Git (helm/driftless)', () => {
  let h: DriftlessHarness;
  let namespace: string;
  beforeAll(async () => {
    await withControllers();
    ({ h, namespace } = await DriftlessHarness.startInNewNamespace('self', { targetYaml: '    render: auto\n    allowClusterScoped: true\n    wait: { timeout: 2m }\n    helm: { valuesFiles: [ci/minimal-values.yaml] }' }));
  }, 10 * 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it('renders the chart (auto-detected by its Chart.yaml), applies it and waits for its Deployments', async () => {
    const push = await h.commitAndPush('driftless itself', await projectChart());
    await expect.poll(() => h.statuses(push.sha).find((s) => s.state !== 'pending')?.state, { timeout: 150_000, interval: 1_000 }).toBe('success');
    const deployments = await discovery.resourceFor('apps/v1', 'Deployment');
    const released = await listObjects(client, deployments!, namespace, `app.kubernetes.io/instance=${namespace}`);
    expect(released.map((d) => d.metadata.name).sort()).toEqual([`${namespace}-driftless-web`, `${namespace}-driftless-worker`]);
  }, 200_000);
});
