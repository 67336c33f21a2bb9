import { chmod } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ManifestError } from '../../src/errors.js';
import { cm, limits, renderScratch, renderWithLimits as render, renderWithLimitsError as renderError } from '../helpers/render.js';

/**
 * Render budgets and the render thread, with the inputs of issue 13: the repro's 542-byte alias
 * bomb and its relatives, files and trees over each limit, and renders that run out of memory or
 * time while this thread's event loop keeps running.
 */

// kustomize output against the budgets, with a real kubectl: test/integration/render-kustomize.test.ts
const { tree } = renderScratch('driftless-render-limits-');

/** The largest gap between ticks of a 10 ms interval on this thread while `work` runs, in milliseconds. */
async function maxEventLoopLag<T>(work: () => Promise<T>): Promise<{ lag: number; result: T | unknown }> {
  let last = performance.now();
  let lag = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    lag = Math.max(lag, now - last - 10);
    last = now;
  }, 10);
  try {
    const result = await work().catch((err: unknown) => err);
    return { lag, result };
  } finally {
    clearInterval(timer);
  }
}

/** The reproduction's file: 9 levels of 10 aliases each, 10^9 strings once expanded, 542 bytes. */
const BILLION_LAUGHS = [
  cm('bomb').trimEnd(),
  'x_a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ...Array.from({ length: 8 }, (_, i) => `x_a${i + 1}: &a${i + 1} [${Array(10).fill(`*a${i}`).join(',')}]`),
].join('\n');

describe('YAML aliases', () => {
  it('holds the reproduction: the 542-byte bomb is refused in well under a second, naming the file and the limit', async () => {
    expect(BILLION_LAUGHS.length).toBeLessThan(600);
    const root = await tree({ 'deploy/bomb.yaml': BILLION_LAUGHS, 'deploy/ok.yaml': cm('ok') });
    await render(root, limits(), { path: 'deploy' }).catch(() => undefined); // a warm render thread

    const started = performance.now();
    const { lag, result } = await maxEventLoopLag(() => renderError(root, limits(), { path: 'deploy' }));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(lag).toBeLessThan(100);
    expect((result as ManifestError).problems).toEqual([
      { subject: 'deploy/bomb.yaml', file: 'deploy/bomb.yaml', message: 'YAML aliases expand this file to more than 4 MiB (renderLimits.maxFileBytes)' },
    ]);
  });

  const bombs: { name: string; text: string; message: RegExp }[] = [
    {
      name: 'a doubling chain of 60 anchors (2^60 nodes)',
      text: `${cm('chain')}${Array.from({ length: 60 }, (_, i) => (i === 0 ? 'a0: &a0 [x]' : `a${i}: &a${i} [*a${i - 1}, *a${i - 1}]`)).join('\n')}\n`,
      message: /^YAML aliases expand this file to more than 4 MiB \(renderLimits\.maxFileBytes\)$/,
    },
    {
      name: 'merge keys that copy ever larger mappings',
      text: `${cm('merge')}${Array.from({ length: 40 }, (_, i) => (i === 0 ? 'm0: &m0 {k0: v, k1: v, k2: v}' : `m${i}: &m${i} {<<: [*m${i - 1}], x${i}: *m${i - 1}, y${i}: *m${i - 1}}`)).join('\n')}\n`,
      message: /YAML aliases expand this file|merge/,
    },
    {
      name: 'an alias inside its own anchor',
      text: `${cm('loop')}data: &d {self: *d}\n`,
      message: /^invalid YAML: an alias refers to a node that contains it$/,
    },
    {
      name: 'aliases nested deeper than any object',
      text: `${cm('deep')}${Array.from({ length: 30 }, (_, i) => (i === 0 ? `n0: &n0 ${'['.repeat(50)}x${']'.repeat(50)}` : `n${i}: &n${i} ${'['.repeat(50)}*n${i - 1}${']'.repeat(50)}`)).join('\n')}\n`,
      message: /^invalid YAML: nested more than 1000 levels deep once aliases are expanded$/,
    },
  ];
  it.each(bombs)('refuses $name', async ({ text, message }) => {
    const root = await tree({ 'bomb.yaml': text });
    const error = await renderError(root);
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]!.file).toBe('bomb.yaml');
    expect(error.problems[0]!.message).toMatch(message);
  });

  it('keeps anchors that real manifests use, and a file at its byte limit without aliases', async () => {
    const body = `${cm('big')}data:\n${Array.from({ length: 200 }, (_, i) => `  k${i}: "${'v'.repeat(40)}"`).join('\n')}\n`;
    const root = await tree({ 'big.yaml': body, 'anchors.yaml': `${cm('anchors', '  labels: &l {app: web}\n  annotations: *l\n')}` });
    const manifests = await render(root, limits({ maxFileBytes: body.length }));
    expect(manifests.map((m) => m.object.metadata.name)).toEqual(['anchors', 'big']);
  });
});

describe('byte and object budgets', () => {
  it('refuses a file over maxFileBytes unread and still checks the others', async () => {
    const root = await tree({ 'a-big.yaml': cm('big', `data: {v: "${'x'.repeat(2000)}"}\n`), 'b-bad.yaml': 'apiVersion: v1\nkind: Secret\n' });
    const error = await renderError(root, limits({ maxFileBytes: 1024 }));
    expect(error.problems).toEqual([
      { subject: 'a-big.yaml', file: 'a-big.yaml', message: 'file is 2 KiB, more than renderLimits.maxFileBytes (1 KiB)' },
      { subject: 'Secret', file: 'b-bad.yaml', line: 1, message: 'metadata.name is missing' },
    ]);
  });

  it('stops reading at the file that takes the render over maxTotalBytes', async () => {
    const files = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`f${i}.yaml`, cm(`f${i}`, `data: {v: "${'x'.repeat(400)}"}\n`)]));
    const error = await renderError(await tree(files), limits({ maxTotalBytes: 2000 }));
    expect(error.problems).toEqual([
      { subject: 'f4.yaml', file: 'f4.yaml', message: 'with this file the render reads more than renderLimits.maxTotalBytes (2 KiB)' },
    ]);
  });

  it('counts every item of a List against maxObjects', async () => {
    const items = Array.from({ length: 6 }, (_, i) => `- {apiVersion: v1, kind: ConfigMap, metadata: {name: c${i}}}`).join('\n');
    const root = await tree({ 'a.yaml': cm('a'), 'list.yaml': `apiVersion: v1\nkind: List\nitems:\n${items}\n` });
    expect(await render(root, limits({ maxObjects: 7 }))).toHaveLength(7);
    const error = await renderError(root, limits({ maxObjects: 6 }));
    expect(error.problems).toEqual([
      { subject: 'list.yaml', file: 'list.yaml', message: 'with this file the render has more than renderLimits.maxObjects (6) objects' },
    ]);
  });

  it('holds kustomize inputs to the byte budgets before kustomize starts', async () => {
    const root = await tree({ 'app/kustomization.yaml': 'resources: [big.yaml]\n', 'app/big.yaml': cm('big', `data: {v: "${'x'.repeat(3000)}"}\n`) });
    const error = await renderError(root, limits({ maxFileBytes: 2048 }), { path: 'app' });
    expect(error.problems).toEqual([{ subject: 'kustomization', file: 'app/big.yaml', message: 'file is 3 KiB, more than renderLimits.maxFileBytes (2 KiB)' }]);
  });
});

describe('the render thread', () => {
  /** A dense file: many tiny objects, far more heap than bytes. */
  const dense = (items: number) => `${cm('dense')}data:\n  list: [${Array.from({ length: items }, (_, i) => `{k: ${i}}`).join(', ')}]\n`;

  it('a render over its memory ends its thread, fails naming the file and the limit, and the next render works', async () => {
    const root = await tree({ 'a.yaml': cm('first'), 'b-dense.yaml': dense(1_500_000) });
    const generous = limits({ maxFileBytes: 64 * 1024 * 1024, maxTotalBytes: 64 * 1024 * 1024, maxMemoryMb: 48 });
    const { lag, result } = await maxEventLoopLag(() => renderError(root, generous));
    expect((result as ManifestError).problems).toEqual([
      { subject: 'b-dense.yaml', file: 'b-dense.yaml', message: 'the render needed more than renderLimits.maxMemoryMb (48 MiB) of memory' },
    ]);
    expect(lag).toBeLessThan(100);
    expect(await render(await tree({ 'c.yaml': cm('after') }), generous)).toHaveLength(1);
  });

  it('a render over its time is ended, fails naming the file it was reading, and this event loop never waits', async () => {
    const root = await tree({ 'slow.yaml': dense(1_500_000) });
    const quick = limits({ maxFileBytes: 64 * 1024 * 1024, maxTotalBytes: 64 * 1024 * 1024, maxMemoryMb: 2048, timeout: '100ms' });
    // a warm thread of the same memory cap: starting one (through tsx, on a busy machine) can take longer than 100 ms
    await render(await tree({ 'warm.yaml': cm('warm') }), { ...quick, timeout: 30_000 });
    const started = performance.now();
    const { lag, result } = await maxEventLoopLag(() => renderError(root, quick));
    // the deadline plus the grace kustomize gets to report its own timeout
    expect(performance.now() - started).toBeLessThan(6000);
    expect((result as ManifestError).problems).toEqual([
      { subject: 'slow.yaml', file: 'slow.yaml', message: 'the render took longer than 0.1 s (renderLimits.timeout)' },
    ]);
    expect(lag).toBeLessThan(100);
  });

  it('kustomize over its time fails naming the kustomization', async () => {
    const kubectl = path.join(await tree({ kubectl: '#!/bin/sh\nexec sleep 10\n' }), 'kubectl');
    await chmod(kubectl, 0o755);
    const root = await tree({ 'app/kustomization.yaml': 'resources: []\n' });
    const error = await renderError(root, limits({ timeout: '300ms' }), { path: 'app', kubectl });
    expect(error.problems).toEqual([{ subject: 'kustomization', file: 'app/kustomization.yaml', message: 'kustomize build took longer than 0.3 s (renderLimits.timeout)' }]);
  });

  it('renders side by side in separate threads', async () => {
    const roots = await Promise.all(Array.from({ length: 4 }, (_, i) => tree({ [`r${i}.yaml`]: cm(`r${i}`) })));
    const results = await Promise.all(roots.map((root) => render(root)));
    expect(results.map((r) => r.map((m) => m.object.metadata.name))).toEqual([['r0'], ['r1'], ['r2'], ['r3']]);
  });
});
