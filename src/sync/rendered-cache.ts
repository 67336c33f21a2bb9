import type { Rendered } from './render/build.js';

/**
 * Renders of recent commits, per process, bounded by the objects they hold (not by their
 * number: a fleet of 200 small targets must fit, one 5,000-object target must not crowd it
 * out for long), the least recently used dropped first. A render larger than the bound is
 * not kept. What a reconcile of an unchanged commit reads instead of fetching and rendering
 * again: each cached render spares it a checkout (a process spawn, the worker's largest CPU
 * cost in a 200-target fleet) and the render itself.
 */
export class RenderedCache {
  private readonly entries = new Map<string, Rendered>();
  private objects = 0;

  /** `maxObjects`: the most manifests all kept renders may hold together. */
  constructor(private readonly maxObjects: number) {}

  get(key: string): Rendered | undefined {
    const hit = this.entries.get(key);
    if (hit) {
      // most recently used last: a Map iterates in insertion order
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  set(key: string, value: Rendered): void {
    this.delete(key);
    if (value.manifests.length > this.maxObjects) return;
    this.entries.set(key, value);
    this.objects += value.manifests.length;
    for (const oldest of this.entries.keys()) {
      if (this.objects <= this.maxObjects) break;
      this.delete(oldest);
    }
  }

  /** Manifests held, for tests and metrics. */
  get size(): { renders: number; objects: number } {
    return { renders: this.entries.size, objects: this.objects };
  }

  private delete(key: string): void {
    const old = this.entries.get(key);
    if (!old) return;
    this.entries.delete(key);
    this.objects -= old.manifests.length;
  }
}
