import { z } from 'zod';
import { duration } from './duration.js';
import { int } from './fields.js';
import { renderLimitDefaults } from './render-defaults.js';

/** How a target's manifests are produced; `auto` picks helm, kustomize or plain from the files. */
export const renderModes = ['auto', 'plain', 'kustomize', 'helm'] as const;
export type RenderMode = (typeof renderModes)[number];

/**
 * What rendering one commit of a target may use. Repository content is untrusted: a render over
 * any limit fails for good (a ManifestError naming the file and the limit) and never stalls others.
 */
export const renderLimitsSchema = z.strictObject({
  /** Largest manifest or kustomize input file, in bytes; also the most a file may grow to once its YAML aliases are expanded. */
  maxFileBytes: int(1, Number.MAX_SAFE_INTEGER).default(renderLimitDefaults.maxFileBytes),
  /** All files of one render together (aliases expanded), and kustomize's input and output each, in bytes. */
  maxTotalBytes: int(1, Number.MAX_SAFE_INTEGER).default(renderLimitDefaults.maxTotalBytes),
  /** Most objects one render may produce; each item of a List counts. */
  maxObjects: int(1, 1_000_000).default(renderLimitDefaults.maxObjects),
  /** Longest one render may take, kustomize included. */
  timeout: duration.default(renderLimitDefaults.timeout),
  /** Heap of the thread that renders (V8 old generation), in MiB. */
  maxMemoryMb: int(32, 65536).default(renderLimitDefaults.maxMemoryMb),
});
