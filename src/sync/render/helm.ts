import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { HelmRepositoryConfig } from '../../config/helm.js';
import { DriftlessError, ManifestError } from '../../errors.js';
import type { ObjectProblem } from '../../errors.js';
import type { Manifest } from '../manifest.js';
import { runChild } from '../child-process.js';
import { collectObject } from './documents.js';
import { duplicateProblems } from './duplicates.js';
import { vendorDependencies } from './helm-dependencies.js';
import { checkChartInputs } from './helm-inputs.js';
import { RenderBudget } from './limits.js';
import type { RenderLimits } from './limits.js';
import { normalizeInside } from './paths.js';
import { sandboxEnv } from './sandbox.js';
import { formatBytes, parseDocuments } from './yaml.js';

/** What `helm template` is told besides the chart: all plain data, so that it crosses to the render thread. */
export interface HelmRender {
  /** The helm binary (`HELM`, default `helm`). */
  binary: string;
  /** `.Release.Name`. */
  releaseName: string;
  /** `.Release.Namespace`: the target's namespace. */
  namespace: string;
  /** Values files relative to the repository root, in order (later files win). */
  valuesFiles: string[];
  /** Values from the configuration; they win over every values file. */
  values?: Record<string, unknown>;
  /** Render `crds/` too (`--include-crds`). */
  includeCrds: boolean;
  /** `.Capabilities.KubeVersion`, e.g. `v1.36.3`. */
  kubeVersion: string;
  /** `.Capabilities.APIVersions`: `group/version` and `group/version/Kind` entries. */
  apiVersions: string[];
  /** Repositories dependencies that are not vendored may come from, and the archive cache folder. */
  dependencies: { repositories: HelmRepositoryConfig[]; cacheDir: string };
}

/** Options for one `helm template` run. */
export interface HelmOptions {
  /** Repository worktree root (real path). */
  root: string;
  /** The chart directory, relative to `root` with forward slashes ('.' for the root). */
  dir: string;
  helm: HelmRender;
  limits: RenderLimits;
  /** When helm is killed, in epoch milliseconds. */
  deadline: number;
  /** Hears of each file before it is read. */
  onFile?: (source: string) => void;
}

/** `# Source: shop/templates/web.yaml`, the line helm writes above every document it rendered. */
const SOURCE_LINE = /^# Source: (.+)$/m;

/**
 * A path as helm prints it (`<chart name>/templates/web.yaml`, `<chart name>/charts/db/...`) as a
 * repository path (`deploy/shop/templates/web.yaml`); undefined when it is not the chart's.
 */
export function chartPath(printed: string, chartName: string, dir: string): string | undefined {
  if (!printed.startsWith(`${chartName}/`)) return undefined;
  return normalizeInside(path.posix.join(dir, printed.slice(chartName.length + 1)));
}

/**
 * Splits `helm template` output into objects, each with the template file it came from (the
 * `# Source:` comment helm writes above each document; the chart's Chart.yaml when there is none).
 */
export function parseHelmOutput(stdout: string, chartName: string, dir: string, maxBytes: number): { manifests: Manifest[]; problems: ObjectProblem[] } {
  const chartYaml = dir === '.' ? 'Chart.yaml' : `${dir}/Chart.yaml`;
  const manifests: Manifest[] = [];
  const problems: ObjectProblem[] = [];
  for (const chunk of stdout.split(/^---[ \t]*$/m)) {
    if (!chunk.trim()) continue;
    const printed = SOURCE_LINE.exec(chunk)?.[1]?.trim();
    const file = (printed && chartPath(printed, chartName, dir)) ?? chartYaml;
    const parsed = parseDocuments(chunk, file, maxBytes);
    if ('problem' in parsed) {
      problems.push({ ...parsed.problem, line: undefined, message: `rendered output: ${parsed.problem.message}` });
      continue;
    }
    const documents = parsed.documents.filter((doc) => doc !== null);
    documents.forEach((doc, i) => collectObject(doc, file, documents.length > 1 ? `document ${i + 1}` : '', manifests, problems));
  }
  return { manifests, problems };
}

/**
 * helm's error as a problem on the file it names, with the template line when helm gives one:
 * `template: shop/templates/web.yaml:12:7: executing ... nil pointer` → web.yaml, line 12.
 * Absolute checkout paths become repository paths; helm's "--debug" hint goes.
 */
export function helmProblem(stderr: string, root: string, chartName: string, dir: string): ObjectProblem {
  const chartYaml = dir === '.' ? 'Chart.yaml' : `${dir}/Chart.yaml`;
  let message = stderr
    .split('\n')
    .filter((line) => line.trim() && !/^Use --debug flag/.test(line) && !/^walk\.go:\d+: found symbolic link/.test(line))
    .join('\n')
    .replace(/^Error: /, '')
    .split(`${root}${path.sep}`)
    .join('')
    .split(root)
    .join('.')
    .trim();
  if (!message) message = 'helm template failed';
  const escaped = chartName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const located = new RegExp(`(?:^|[\\s"'(])(${escaped}/[^\\s:"']+)(?::(\\d+))?`).exec(message);
  const file = (located?.[1] && chartPath(located[1], chartName, dir)) ?? chartYaml;
  // a YAML error's line is of the rendered text, not of the template: only template errors have one
  const line = located?.[2] !== undefined && /^template: /.test(message) ? Number(located[2]) : undefined;
  return { subject: file, file, ...(line === undefined ? {} : { line }), message };
}

/** The chart's `name`, which helm prefixes every printed path with. */
async function chartName(root: string, dir: string, limits: RenderLimits): Promise<string> {
  const chartYaml = dir === '.' ? 'Chart.yaml' : `${dir}/Chart.yaml`;
  const parsed = parseDocuments(await readFile(path.join(root, chartYaml), 'utf8'), chartYaml, limits.maxFileBytes);
  const refuse = (message: string) => new ManifestError('render', [{ subject: chartYaml, file: chartYaml, message }]);
  if ('problem' in parsed) throw new ManifestError('render', [parsed.problem]);
  const name = (parsed.documents[0] as { name?: unknown } | null)?.name;
  if (typeof name !== 'string' || !name) throw refuse('Chart.yaml has no name');
  if (name.includes('/')) throw refuse('the chart name may not contain "/"');
  return name;
}

/** helm's flags: the release, the cluster's capabilities, the values in order; test hooks are never rendered. */
export function helmTemplateArgs(chart: string, helm: HelmRender, valuesFiles: readonly string[]): string[] {
  const args = ['template', helm.releaseName, chart, '--namespace', helm.namespace, '--kube-version', helm.kubeVersion, '--skip-tests'];
  if (helm.includeCrds) args.push('--include-crds');
  if (helm.apiVersions.length > 0) args.push('--api-versions', helm.apiVersions.join(','));
  for (const file of valuesFiles) args.push('--values', file);
  return args;
}

/**
 * Renders the chart at `dir` with `helm template` in the render sandbox (no network, nothing of
 * the worker's environment, an empty HOME, plugins off) and returns its objects in helm's output
 * order, each naming the template it came from. Before helm starts, every file it will load is
 * checked to be in the checkout and within the budget (checkChartInputs), and dependencies that
 * are not vendored are fetched from configured repositories only (vendorDependencies); its output counts
 * against `maxTotalBytes` and `maxObjects`. What the commit gets wrong (a template error, a
 * missing values file, a chart that needs another Kubernetes version, a missing dependency, a
 * limit) is a permanent ManifestError naming the file; a helm that cannot start is retried.
 */
export async function renderHelm(options: HelmOptions): Promise<Manifest[]> {
  const { root, dir, helm, limits } = options;
  const chartYaml = dir === '.' ? 'Chart.yaml' : `${dir}/Chart.yaml`;
  const refuse = (message: string) => new ManifestError('render', [{ subject: chartYaml, file: chartYaml, message }]);

  const inputs = { root, dir, valuesFiles: helm.valuesFiles };
  const inputProblems = await checkChartInputs({ ...inputs, budget: new RenderBudget(limits), onFile: options.onFile });
  if (inputProblems.length > 0) throw new ManifestError('render', inputProblems);
  const name = await chartName(root, dir, limits);
  const { repositories, cacheDir } = helm.dependencies;
  const fetched = await vendorDependencies(root, dir, { repositories, cacheDir, maxArchiveBytes: limits.maxFileBytes, maxIndexBytes: 4 * limits.maxTotalBytes, deadline: options.deadline });
  if (fetched.length > 0) {
    // what came from a repository counts against the budget as vendored archives do
    const archiveProblems = await checkChartInputs({ ...inputs, budget: new RenderBudget(limits) });
    if (archiveProblems.length > 0) throw new ManifestError('render', archiveProblems);
  }

  const home = await mkdtemp(path.join(os.tmpdir(), 'driftless-helm-home-'));
  try {
    const valuesFiles = helm.valuesFiles.map((file) => path.join(root, file));
    if (helm.values && Object.keys(helm.values).length > 0) {
      // JSON is YAML: helm reads it as a values file, after the repository's
      const inline = path.join(home, 'values-from-config.yaml');
      await writeFile(inline, JSON.stringify(helm.values));
      valuesFiles.push(inline);
    }
    const result = await runChild(helm.binary, helmTemplateArgs(path.join(root, dir), helm, valuesFiles), {
      cwd: root,
      env: { ...sandboxEnv(home), HELM_NO_PLUGINS: '1' },
      timeoutMs: options.deadline - Date.now(),
      maxOutputBytes: limits.maxTotalBytes,
    });
    switch (result.outcome) {
      case 'not-started':
        throw new DriftlessError(`cannot run helm (${helm.binary}): ${result.error.message}`, { cause: result.error });
      case 'timeout':
        throw refuse(`helm template took longer than ${limits.timeout / 1000} s (renderLimits.timeout)`);
      case 'output-limit':
        throw refuse(`helm template output is larger than renderLimits.maxTotalBytes (${formatBytes(limits.maxTotalBytes)})`);
      case 'exited':
        if (result.code !== 0) throw new ManifestError('render', [helmProblem(result.stderr, root, name, dir)]);
    }
    const { manifests, problems } = parseHelmOutput(result.stdout, name, dir, limits.maxTotalBytes);
    if (manifests.length > limits.maxObjects) throw refuse(`the chart renders ${manifests.length} objects, more than renderLimits.maxObjects (${limits.maxObjects})`);
    problems.push(...duplicateProblems(manifests));
    if (problems.length > 0) throw new ManifestError('render', problems);
    return manifests;
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}
