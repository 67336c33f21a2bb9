import { lstat } from 'node:fs/promises';
import path from 'node:path';
import type { TargetConfig } from '../../config/schema.js';
import type { KubeClient } from '../../kube/client.js';
import type { RenderMode } from './build.js';
import { checkHelm } from './helm-binary.js';
import { clusterCapabilities } from './helm-capabilities.js';
import type { HelmRender } from './helm.js';

/** Whether the target's path holds a chart (a `Chart.yaml`), which `render: auto` renders with helm, as Argo CD does. */
export async function isChart(checkoutDir: string, targetPath: string): Promise<boolean> {
  try {
    await lstat(path.join(checkoutDir, targetPath, 'Chart.yaml'));
    return true;
  } catch {
    return false;
  }
}

/**
 * How a target's checkout is rendered: its `render` mode, with `auto` turned into helm when the
 * path holds a chart; for helm, and for kustomize when `helm.kustomizeHelmCharts` lets it inflate
 * charts, what `helm template` is told (release name, namespace, values,
 * and the cluster's version and API versions, read through `client`, unless the configuration
 * sets them; chart archives are cached under `cacheDir`). Rejects (a retried error) when helm is missing or unusable or the cluster cannot
 * be read; never for what is in the commit.
 */
export async function chooseRenderer(target: TargetConfig, checkoutDir: string, client: KubeClient, cacheDir: string): Promise<{ mode: RenderMode; helm?: HelmRender }> {
  const helmChart = target.render === 'helm' || (target.render === 'auto' && (await isChart(checkoutDir, target.path)));
  // plain targets never run helm; kustomize ones only when they let kustomize inflate charts
  const kustomizeCharts = !helmChart && target.render !== 'plain' && target.helm?.kustomizeHelmCharts === true;
  if (!helmChart && !kustomizeCharts) return { mode: target.render };
  const binary = process.env.HELM || 'helm';
  const [capabilities] = await Promise.all([clusterCapabilities(client), checkHelm(binary)]);
  const config = target.helm;
  return {
    mode: helmChart ? 'helm' : target.render,
    helm: {
      binary,
      releaseName: config?.releaseName ?? target.name,
      namespace: target.namespace,
      valuesFiles: config?.valuesFiles ?? [],
      ...(config?.values && { values: config.values }),
      includeCrds: config?.includeCrds ?? true,
      kubeVersion: config?.kubeVersion ?? capabilities.kubeVersion,
      apiVersions: [...new Set([...capabilities.apiVersions, ...(config?.apiVersions ?? [])])],
      dependencies: { repositories: config?.repositories ?? [], cacheDir: path.join(cacheDir, 'helm-charts') },
    },
  };
}
