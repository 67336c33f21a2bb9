import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { renderLimitsSchema } from '../../src/config/render.js';
import { defaultRenderLimits } from '../../src/sync/render/limits.js';

// A render thread is a V8 isolate of its own that loads its modules again, and up to
// worker.syncConcurrency of them run at once: what its module graph pulls in is paid per thread
// in start time and memory. It needs js-yaml; BullMQ (with ioredis) came in through errors.ts and
// zod through the render limits' defaults, neither of which it uses.

const src = path.resolve(import.meta.dirname, '../../src');

/** Packages a module loads at run time, following its relative imports (type-only ones are erased). */
function packagesLoadedBy(entry: string): Set<string> {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const walk = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^(import|export)\s+(type\s)?[^;]*?from\s+'([^']+)'|^import\s+'([^']+)'/gms)) {
      if (m[2]) continue;
      const spec = m[3] ?? m[4]!;
      if (spec.startsWith('.')) walk(path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')));
      else if (!spec.startsWith('node:')) packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  };
  walk(entry);
  return packages;
}

it('a render thread loads js-yaml and none of the configuration, queue or cluster libraries', () => {
  expect([...packagesLoadedBy(path.join(src, 'sync/render/worker.ts'))].sort()).toEqual(['js-yaml']);
});

it('the render limits a thread falls back to are the configuration schema\'s defaults', () => {
  expect(defaultRenderLimits()).toEqual(renderLimitsSchema.parse({}));
});
