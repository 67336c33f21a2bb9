import type { RenderMode, Rendered } from './build.js';
import { defaultRenderLimits } from './limits.js';
import type { RenderLimits } from './limits.js';
import type { HelmRender } from './helm.js';
import { renderInThread } from './threads.js';

export type { RenderMode, Rendered } from './build.js';
export type { HelmRender } from './helm.js';
export type { RenderLimits } from './limits.js';

/** Options for renderManifests. */
export interface RenderOptions {
  /** Repository worktree root. */
  checkoutDir: string;
  /** Target path relative to the root, '.' for the root. */
  path: string;
  /** auto | plain | kustomize | helm; auto never picks helm here (see isChart). */
  mode: RenderMode;
  /** What `helm template` is told; required when `mode` is helm. */
  helm?: HelmRender;
  /** kubectl binary for kustomize; default `process.env.KUBECTL ?? 'kubectl'`. */
  kubectl?: string;
  /** The target's budgets (bytes, objects, time, memory); the defaults when absent. */
  limits?: RenderLimits;
}

/**
 * Reads a target's objects from a checkout: plain YAML/JSON files, a kustomize build or a helm
 * chart, in a render thread (off this event loop, memory capped) and, for kustomize and helm, in
 * the render sandbox (no network, only the checkout, a minimal environment). Objects come in a
 * stable order (plain: by file, then document; kustomize and helm: their output order). Anything wrong with what is in Git, a limit
 * included, is one permanent ManifestError listing every problem. Also says which files it read.
 */
export function renderManifests(options: RenderOptions): Promise<Rendered> {
  return renderInThread({
    checkoutDir: options.checkoutDir,
    path: options.path,
    mode: options.mode,
    kubectl: options.kubectl ?? process.env.KUBECTL ?? 'kubectl',
    helm: options.helm,
    limits: options.limits ?? defaultRenderLimits(),
  });
}
