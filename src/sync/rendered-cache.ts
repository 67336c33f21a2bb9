import type { Rendered } from './render/build.js';

/**
 * Renders of recent commits, per process, bounded by their size (the JSON of their objects, a
 * measure of the memory they hold; not by their number: a fleet of 200 small targets must fit,
 * one large target must not crowd it out for long), the least recently used dropped first. A
 * render larger than the bound is not kept. What a reconcile of an unchanged commit reads
 * instead of fetching and rendering again: each cached render spares it a checkout (a process
 * spawn, the worker's largest CPU cost in a 200-target fleet) and the render itself. A fleet whose
 * renders together exceed the bound, reconciled in turn, finds none of them (least recently
 * used is the wrong guess for a cycle): raise the bound with the worker's memory.
 */
export class RenderedCache {
  private readonly entries = new Map<string, { rendered: Rendered; bytes: number }>();
  private bytes = 0;

  /** `maxBytes`: the most all kept renders may weigh together. */
  constructor(private readonly maxBytes: number) {}

  get(key: string): Rendered | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    // most recently used last: a Map iterates in insertion order
    this.entries.delete(key);
    this.entries.set(key, hit);
    return hit.rendered;
  }

  set(key: string, rendered: Rendered): void {
    this.delete(key);
    let bytes = 0;
    for (const m of rendered.manifests) bytes += JSON.stringify(m.object).length;
    if (bytes > this.maxBytes) return;
    this.entries.set(key, { rendered, bytes });
    this.bytes += bytes;
    for (const oldest of this.entries.keys()) {
      if (this.bytes <= this.maxBytes) break;
      this.delete(oldest);
    }
  }

  /** Renders kept and their weight, for tests. */
  get size(): { renders: number; bytes: number } {
    return { renders: this.entries.size, bytes: this.bytes };
  }

  private delete(key: string): void {
    const old = this.entries.get(key);
    if (!old) return;
    this.entries.delete(key);
    this.bytes -= old.bytes;
  }
}
