import { describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/sync/manifest.js';
import { RenderedCache } from '../../src/sync/rendered-cache.js';

// The per-process cache of renders (src/sync/rendered-cache.ts): bounded by the JSON size of the
// objects it holds, least recently used out first.

/** A render of `objects` objects of 100 bytes of JSON each. */
const render = (objects: number) => ({ manifests: Array.from({ length: objects }, () => ({ object: { data: 'x'.repeat(89) } }) as unknown as Manifest), read: [] });

describe('the cache of recent renders', () => {
  it('keeps as many renders as their size allows, not a fixed number', () => {
    const cache = new RenderedCache(10_000);
    for (let i = 0; i < 50; i++) cache.set(`t${i}`, render(2));
    expect(cache.size).toEqual({ renders: 50, bytes: 10_000 });
    expect(cache.get('t0')?.manifests).toHaveLength(2);
  });

  it('drops the least recently used first, and counts a read as a use', () => {
    const cache = new RenderedCache(1_000);
    cache.set('a', render(4));
    cache.set('b', render(4));
    expect(cache.get('a')).toBeDefined();
    cache.set('c', render(4));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    expect(cache.get('c')).toBeDefined();
    expect(cache.size).toEqual({ renders: 2, bytes: 800 });
  });

  it('does not keep a render larger than the whole bound, and replaces a key without counting it twice', () => {
    const cache = new RenderedCache(1_000);
    cache.set('small', render(3));
    cache.set('huge', render(11));
    expect(cache.get('huge')).toBeUndefined();
    cache.set('small', render(5));
    expect(cache.size).toEqual({ renders: 1, bytes: 500 });
  });
});
