// Helm render: a 100-template chart with one Chart.lock dependency, through Driftless's render
// (render thread, input checks, dependency from a chart repository, helm template in the sandbox,
// output parsed with each object's source), cold and cached, against helm itself doing the same.
//
//   node --import tsx bench/helm-render.ts [--runs N]
//   DRIFTLESS_DIST=dist node --import tsx bench/helm-render.ts   # the compiled render (as in production)
//
// cold:   a new render thread and an empty archive cache (the dependency is downloaded);
//         baseline `helm dependency build` + `helm template` (what a CI job runs).
// cached: a warm render thread, the archive from the digest cache (the index is still read);
//         baseline `helm template` of the chart with charts/ already vendored.
// Needs no cluster: the capabilities are given. Prints one markdown table (bench/README.md's format).
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { renderLimitsSchema } from '../src/config/render.js';
import type { HelmRender, renderManifests as RenderManifests } from '../src/sync/render/index.js';
import { ChartRepository } from '../test/helpers/chart-repo.js';
import { writeTree } from '../test/helpers/files.js';
import { pinnedHelm } from '../test/helpers/helm.js';
import { runProcess } from '../test/helpers/process.js';
import { fmtMs, fmtRatio, median } from './lib/stats.js';
import { markdownTable, type Row } from './table.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const runs = Number(values.runs);
// from the sources a render thread loads TypeScript through tsx, which is most of a cold start
const dist = process.env.DRIFTLESS_DIST;
const { renderManifests } = (await import(dist ? pathToFileURL(path.resolve(dist, 'sync/render/index.js')).href : '../src/sync/render/index.js')) as { renderManifests: typeof RenderManifests };
const TEMPLATES = 100;

/** The chart: 100 templates in turn ConfigMaps, Services, Deployments and ServiceAccounts, values-driven, plus a dependency. */
function chart(repoUrl: string): Record<string, string> {
  const files: Record<string, string> = {
    'app/Chart.yaml': `apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - { name: cache, version: 1.0.0, repository: "${repoUrl}" }\n`,
    'app/values.yaml': 'image: registry.example/app:1\nreplicas: 0\nlabels: { team: shop, tier: web }\nsettings: { a: "1", b: "2", c: "3" }\n',
    'app/templates/_helpers.tpl': '{{- define "app.labels" -}}\napp.kubernetes.io/instance: {{ .Release.Name }}\n{{- range $k, $v := .Values.labels }}\n{{ $k }}: {{ $v }}\n{{- end }}\n{{- end -}}\n',
  };
  const kinds = [
    (i: number) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm-${i}\n  labels:\n    {{- include "app.labels" . | nindent 4 }}\ndata:\n  {{- range $k, $v := .Values.settings }}\n  {{ $k }}: {{ $v | quote }}\n  {{- end }}\n`,
    (i: number) => `apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}-svc-${i}\n  labels:\n    {{- include "app.labels" . | nindent 4 }}\nspec:\n  clusterIP: None\n  selector: { app: a${i} }\n  ports: [{ port: 80 }]\n`,
    (i: number) => `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}-web-${i}\n  labels:\n    {{- include "app.labels" . | nindent 4 }}\nspec:\n  replicas: {{ .Values.replicas }}\n  selector: { matchLabels: { app: a${i} } }\n  template:\n    metadata: { labels: { app: a${i} } }\n    spec:\n      containers: [{ name: app, image: {{ .Values.image | quote }}, resources: { requests: { cpu: 10m } } }]\n`,
    (i: number) => `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {{ .Release.Name }}-sa-${i}\n  labels:\n    {{- include "app.labels" . | nindent 4 }}\n`,
  ];
  for (let i = 0; i < TEMPLATES; i += 1) files[`app/templates/t${String(i).padStart(3, '0')}.yaml`] = kinds[i % kinds.length]!(i);
  return files;
}

const progress = (line: string) => process.stderr.write(`${line}\n`);
const helmBin = await pinnedHelm();
const work = await mkdtemp(path.join(os.tmpdir(), 'driftless-bench-helm-'));
const repo = await ChartRepository.start(helmBin, { cache: { 'Chart.yaml': 'apiVersion: v2\nname: cache\nversion: 1.0.0\n', 'templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: "{{ .Release.Name }}-cache" }\n' } });
try {
  const source = await writeTree(path.join(work, 'source'), chart(repo.url));
  const helmEnv = { HOME: work, HELM_CACHE_HOME: path.join(work, '.helm-cache'), HELM_CONFIG_HOME: path.join(work, '.helm-config'), HELM_DATA_HOME: path.join(work, '.helm-data') };
  // the repository added to helm, as a CI job would; a Chart.lock as helm writes it (with its digest), then no vendored archive
  const added = await runProcess(helmBin, ['repo', 'add', 'bench', repo.url], { env: helmEnv });
  if (added.code !== 0) throw new Error(added.stderr);
  const locked = await runProcess(helmBin, ['dependency', 'update', path.join(source, 'app')], { env: helmEnv });
  if (locked.code !== 0) throw new Error(locked.stderr);
  await rm(path.join(source, 'app', 'charts'), { recursive: true, force: true });
  const capabilities = { kubeVersion: 'v1.36.3', apiVersions: ['v1', 'apps/v1', 'apps/v1/Deployment'] };
  const timed = async (work: () => Promise<unknown>) => {
    const started = performance.now();
    await work();
    return performance.now() - started;
  };
  /** A fresh copy of the chart, as every sync gets a fresh checkout. */
  let copies = 0;
  const checkout = async () => {
    const dir = path.join(work, `checkout-${(copies += 1)}`);
    await cp(source, dir, { recursive: true });
    return dir;
  };
  /** One render of a fresh checkout (copied before the clock starts); its milliseconds. */
  const render = async (cacheDir: string, memoryMb: number) => {
    const checkoutDir = await checkout();
    const helm: HelmRender = { binary: helmBin, releaseName: 'shop', namespace: 'shop', valuesFiles: [], includeCrds: true, ...capabilities, dependencies: { repositories: [{ url: repo.url }], cacheDir } };
    return timed(async () => {
      const out = await renderManifests({ checkoutDir, path: 'app', mode: 'helm', helm, limits: renderLimitsSchema.parse({ maxMemoryMb: memoryMb }) });
      if (out.manifests.length !== TEMPLATES + 1) throw new Error(`rendered ${out.manifests.length} objects`);
    });
  };
  const helmTemplate = async (dir: string) => {
    const r = await runProcess(helmBin, ['template', 'shop', path.join(dir, 'app'), '--namespace', 'shop', '--kube-version', capabilities.kubeVersion, '--api-versions', capabilities.apiVersions.join(','), '--include-crds', '--skip-tests'], { env: helmEnv });
    if (r.code !== 0) throw new Error(r.stderr);
  };

  const cold: number[] = [];
  const cached: number[] = [];
  const baseCold: number[] = [];
  const baseCached: number[] = [];
  const warmCache = path.join(work, 'archive-cache');
  await render(warmCache, 256);
  for (let i = 0; i < runs; i += 1) {
    // a thread per memory cap: a cap no render used yet starts a new thread
    cold.push(await render(path.join(work, `empty-cache-${i}`), 300 + i));
    cached.push(await render(warmCache, 256));
    const dir = await checkout();
    baseCold.push(
      await timed(async () => {
        const built = await runProcess(helmBin, ['dependency', 'build', path.join(dir, 'app')], { env: helmEnv });
        if (built.code !== 0) throw new Error(built.stderr);
        await helmTemplate(dir);
      }),
    );
    baseCached.push(await timed(() => helmTemplate(dir)));
    progress(`run ${i + 1}/${runs}: cold ${Math.round(cold.at(-1)!)} ms (helm ${Math.round(baseCold.at(-1)!)} ms), cached ${Math.round(cached.at(-1)!)} ms (helm ${Math.round(baseCached.at(-1)!)} ms)`);
  }
  const [c, cb, w, wb] = [median(cold), median(baseCold), median(cached), median(baseCached)];
  const rows: Row[] = [
    {
      metric: `helm render, ${TEMPLATES}-template chart + 1 dependency, cold: p50 of ${runs}`,
      driftless: `${fmtMs(c)} (new render thread, archive downloaded; ${dist ? 'compiled' : 'from the sources through tsx'})`,
      baseline: `helm dependency build + helm template ${fmtMs(cb)}`,
      ratio: fmtRatio(c / cb),
      goal: '≤ 1.25×',
      met: c / cb <= 1.25,
    },
    {
      metric: `helm render, ${TEMPLATES}-template chart + 1 dependency, cached: p50 of ${runs}`,
      driftless: `${fmtMs(w)} (warm thread, archive from the digest cache)`,
      baseline: `helm template, charts/ vendored ${fmtMs(wb)}`,
      ratio: fmtRatio(w / wb),
      goal: '≤ 1.5× and < 500 ms',
      met: w / wb <= 1.5 && w < 500,
    },
  ];
  console.log(markdownTable(rows));
} finally {
  await repo.close();
  await rm(work, { recursive: true, force: true });
}
process.exit(0);
