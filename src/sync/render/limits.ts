import { renderLimitDefaults } from '../../config/render-defaults.js';
import type { TargetConfig } from '../../config/schema.js';
import type { ObjectProblem } from '../../errors.js';
import { formatBytes } from './yaml.js';

/** Budgets of one render (see renderLimitsSchema): bytes, objects, milliseconds, MiB. */
export type RenderLimits = TargetConfig['renderLimits'];

/** The limits of a target whose configuration sets none. */
export const defaultRenderLimits = (): RenderLimits => ({ ...renderLimitDefaults });

/**
 * What one render has read and produced so far, against its limits. Every check returns a
 * problem naming the file and the limit when it goes over (the caller stops there), else
 * undefined.
 */
export class RenderBudget {
  private bytes = 0;
  private objects = 0;

  constructor(readonly limits: RenderLimits) {}

  /** A file of `size` bytes too big on its own: refuse it unread and go on with the others. */
  oversized(source: string, size: number): ObjectProblem | undefined {
    const { maxFileBytes } = this.limits;
    return size > maxFileBytes ? problem(source, `file is ${formatBytes(size)}, more than renderLimits.maxFileBytes (${formatBytes(maxFileBytes)})`) : undefined;
  }

  /** Reading `size` more bytes would take the render over its total: read nothing more. */
  overTotal(source: string, size: number): ObjectProblem | undefined {
    return this.bytes + size > this.limits.maxTotalBytes ? totalProblem(source, this.limits.maxTotalBytes) : undefined;
  }

  /** After reading a file: its bytes (more than its size when aliases expand it) and its objects. */
  count(source: string, bytes: number, objects: number): ObjectProblem | undefined {
    this.bytes += bytes;
    this.objects += objects;
    if (this.bytes > this.limits.maxTotalBytes) return totalProblem(source, this.limits.maxTotalBytes);
    if (this.objects > this.limits.maxObjects) {
      return problem(source, `with this file the render has more than renderLimits.maxObjects (${this.limits.maxObjects}) objects`);
    }
    return undefined;
  }
}

function problem(source: string, message: string): ObjectProblem {
  return { subject: source, file: source, message };
}

function totalProblem(source: string, maxTotalBytes: number): ObjectProblem {
  return problem(source, `with this file the render reads more than renderLimits.maxTotalBytes (${formatBytes(maxTotalBytes)})`);
}
