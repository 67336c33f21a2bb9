import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { EXACT_VERSION, fetchChart } from './helm-dependencies.js';
import { unpackChart } from './helm-archive.js';
import { checkChartInputs } from './helm-inputs.js';
import type { HelmRender } from './helm.js';
import type { RenderBudget } from './limits.js';
import { isInside, relativePath } from './paths.js';

/** Keys of a `helmCharts:` entry that name nothing outside the chart and its values files. */
const CHART_FIELDS = new Set([
  'name', 'version', 'repo', 'releaseName', 'namespace', 'valuesFile', 'additionalValuesFiles', 'valuesInline',
  'valuesMerge', 'includeCRDs', 'skipHooks', 'skipTests', 'apiVersions', 'kubeVersion', 'nameTemplate',
]);

/** What checking a kustomization's charts needs. */
export interface KustomizeChartsCheck {
  /** Real path of the checkout. */
  root: string;
  /** The target's helm settings: repositories and the archive cache. */
  helm: HelmRender;
  budget: RenderBudget;
  /** When every download must be over, in epoch milliseconds. */
  deadline: number;
}

const isMapping = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isRemote = (value: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(value);

/** The real path of a local path below the checkout, or a message saying why not. */
async function localPath(root: string, dir: string, field: string, value: unknown): Promise<string | { message: string }> {
  const named = `${field}: ${JSON.stringify(value)}`;
  if (typeof value !== 'string' || !value) return { message: `${named}: expected a path` };
  if (isRemote(value)) return { message: `${named} is remote; values come only from the commit` };
  if (path.isAbsolute(value) || !isInside(root, path.resolve(dir, value))) return { message: `${named} leaves the checkout` };
  try {
    const real = await realpath(path.resolve(dir, value));
    return isInside(root, real) ? real : { message: `${named} is a symbolic link out of the checkout` };
  } catch {
    return { message: `${named} is not in this commit` };
  }
}

/**
 * Checks the `helmCharts:` of one kustomization (in `dir`, a real path) before kustomize
 * inflates them with `--enable-helm`, and makes every chart present where kustomize looks for it
 * (`<chartHome>/<name>`, or `<chartHome>/<name>-<version>/<name>` when a repo and version are
 * given), so that kustomize never pulls anything itself. A chart vendored there is used as it is;
 * a missing one is fetched only from the target's `helm.repositories` (exact versions, cached by
 * digest) and unpacked there. Every chart folder and values file is then held to the same rules
 * as `render: helm` (inside the checkout, no links out, within the budget). Returns the problems
 * as messages; rejects only when a configured repository cannot be reached.
 */
export async function checkKustomizeCharts(check: KustomizeChartsCheck, dir: string, document: Record<string, unknown>): Promise<string[]> {
  const { root, helm, budget } = check;
  const messages: string[] = [];
  const globals = document.helmGlobals;
  if (globals !== undefined && !isMapping(globals)) return ['helmGlobals: expected a mapping'];
  if (isMapping(globals) && globals.configHome !== undefined) messages.push('helmGlobals.configHome: helm runs with a configuration of its own in the render sandbox');
  let chartHome = path.join(dir, 'charts');
  if (isMapping(globals) && globals.chartHome !== undefined) {
    const value = globals.chartHome;
    if (typeof value !== 'string' || isRemote(value) || path.isAbsolute(value) || !isInside(root, path.resolve(dir, value))) return [...messages, `helmGlobals.chartHome: ${JSON.stringify(value)} must be a folder of the checkout`];
    chartHome = path.resolve(dir, value);
  }
  const charts = document.helmCharts ?? [];
  if (!Array.isArray(charts)) return [...messages, 'helmCharts: expected a list'];
  for (const [index, chart] of charts.entries()) {
    const at = `helmCharts[${index}]`;
    if (!isMapping(chart)) {
      messages.push(`${at}: expected a mapping`);
      continue;
    }
    for (const key of Object.keys(chart).filter((k) => !CHART_FIELDS.has(k))) messages.push(`${at}.${key}: not a field the render sandbox knows`);
    const { name, version, repo } = chart;
    if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
      messages.push(`${at}.name: expected a chart name`);
      continue;
    }
    const values = [chart.valuesFile, ...(Array.isArray(chart.additionalValuesFiles) ? chart.additionalValuesFiles : [])].filter((v) => v !== undefined);
    for (const value of values) {
      const found = await localPath(root, dir, `${at}.valuesFile`, value);
      if (typeof found !== 'string') messages.push(found.message);
      else {
        const over = budget.oversized(relativePath(root, found), (await stat(found)).size);
        if (over) messages.push(over.message);
      }
    }
    const versioned = typeof repo === 'string' && typeof version === 'string' && version !== '';
    const chartDir = versioned ? path.join(chartHome, `${name}-${version}`, name) : path.join(chartHome, name);
    const present = await stat(chartDir).then((s) => s.isDirectory(), () => false);
    if (!present) {
      if (typeof repo !== 'string') {
        messages.push(`${at}: chart ${name} is not in ${relativePath(root, chartHome)}/ and names no repo`);
        continue;
      }
      const repository = helm.dependencies.repositories.find((r) => r.url === repo.replace(/\/+$/, ''));
      if (!repository) {
        messages.push(`${at}.repo: ${repo} is not one of targets[].helm.repositories (charts come only from repositories the configuration lists)`);
        continue;
      }
      if (typeof version !== 'string' || !EXACT_VERSION.test(version)) {
        messages.push(`${at}.version: an exact version is needed to fetch ${name} from ${repo}`);
        continue;
      }
      const fetched = await fetchChart({ name, version }, repository, { repositories: helm.dependencies.repositories, cacheDir: helm.dependencies.cacheDir, maxArchiveBytes: budget.limits.maxFileBytes, maxIndexBytes: 4 * budget.limits.maxTotalBytes, deadline: check.deadline });
      if ('problem' in fetched) {
        messages.push(`${at}: ${fetched.problem}`);
        continue;
      }
      try {
        await unpackChart(fetched.bytes, path.dirname(chartDir), budget.limits.maxTotalBytes);
      } catch (err) {
        messages.push(`${at}: ${name} ${version} from ${repo}: ${(err as Error).message}`);
        continue;
      }
    }
    const problems = await checkChartInputs({ root, dir: relativePath(root, chartDir) || '.', valuesFiles: [], budget });
    messages.push(...problems.map((p) => `${at}: ${p.file}: ${p.message}`));
  }
  return messages;
}
