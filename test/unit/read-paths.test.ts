import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { targetsForPush } from '../../src/events/route.js';
import type { PushEvent } from '../../src/providers/types.js';
import { readPathsOutside } from '../../src/sync/read-paths.js';

describe('readPathsOutside', () => {
  it.each([
    { name: 'a kustomize base outside the overlay', path: 'overlays/prod', sources: ['overlays/prod/patch.yaml', 'base/config.yaml', 'base/deploy.yaml'], expected: ['base'] },
    { name: 'nothing outside', path: 'deploy', sources: ['deploy/a.yaml', 'deploy/sub/b.yaml'], expected: [] },
    { name: 'a sibling whose name starts like the path', path: 'deploy', sources: ['deploy-common/x.yaml'], expected: ['deploy-common'] },
    { name: 'a root file counts by itself, not as the whole repository', path: 'deploy', sources: ['shared.yaml'], expected: ['shared.yaml'] },
    { name: 'a target on the whole repository reads nothing outside', path: '.', sources: ['base/a.yaml'], expected: [] },
    { name: 'components from two places, sorted and once each', path: 'apps/a', sources: ['lib/z/x.yaml', 'base/y.yaml', 'lib/z/w.yaml'], expected: ['base', 'lib/z'] },
  ])('$name', ({ path, sources, expected }) => {
    expect(readPathsOutside(path, sources)).toEqual(expected);
  });
});

describe('targetsForPush with what targets read outside their path', () => {
  const config = configSchema.parse({
    providers: { github: { webhookSecret: 's' } },
    clusters: { c: { inCluster: true } },
    targets: [
      { name: 'prod', repo: 'github:acme/shop', path: 'overlays/prod', cluster: 'c', namespace: 'shop' },
      { name: 'dev', repo: 'github:acme/shop', path: 'overlays/dev', cluster: 'c', namespace: 'shop-dev' },
    ],
  });
  const push = (changedPaths?: string[]): PushEvent => ({ kind: 'push', provider: 'github', repo: 'acme/shop', ref: 'refs/heads/main', after: 'b'.repeat(40), changedPaths, actor: 'dev', deleted: false });
  const names = (changedPaths: string[] | undefined, readPaths: Record<string, string[] | undefined>) => targetsForPush(config.targets, push(changedPaths), new Map(Object.entries(readPaths).map(([t, p]) => [t, p ?? []]))).map((t) => t.name);

  it.each([
    { name: 'a change only in the base reaches the targets whose last render read it', changed: ['base/config.yaml'], read: { prod: ['base'] }, expected: ['prod'] },
    { name: 'and every target that reads it', changed: ['base/config.yaml'], read: { prod: ['base'], dev: ['base'] }, expected: ['prod', 'dev'] },
    { name: 'a change in an unrelated folder reaches none', changed: ['docs/readme.md'], read: { prod: ['base'] }, expected: [] },
    { name: 'a change in the path itself needs no read paths', changed: ['overlays/dev/kustomization.yaml'], read: {}, expected: ['dev'] },
    { name: 'unknown changed paths (a forced push) reach every target of the branch', changed: undefined, read: {}, expected: ['prod', 'dev'] },
  ])('$name', ({ changed, read, expected }) => {
    expect(names(changed, read)).toEqual(expected);
  });
});
