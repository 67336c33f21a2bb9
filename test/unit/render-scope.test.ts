import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { needsWholeTree, targetScope } from '../../src/sync/render/scope.js';

// What a target's checkout must hold: its own path for plain manifests, the whole tree for
// anything that may read outside it (src/sync/render/scope.ts). Real files in a temporary folder.

describe('the part of a commit a render reads', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'driftless-scope-'));
    await mkdir(path.join(root, 'deploy', 'nested'), { recursive: true });
    await writeFile(path.join(root, 'deploy', 'nested', 'web.yaml'), 'kind: ConfigMap\n');
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it.each([
    ['deploy', 'deploy'],
    ['./deploy/prod/', 'deploy/prod'],
    ['deploy/web.yaml', 'deploy/web.yaml'],
    ['.', undefined],
    ['', undefined],
    ['../elsewhere', undefined],
  ])('path %j checks out %j (undefined: the whole tree)', (targetPath, scope) => {
    expect(targetScope(targetPath)).toBe(scope);
  });

  it('plain manifests without links read only their path, whatever the render mode says of them', async () => {
    expect(await needsWholeTree('plain', root, 'deploy')).toBe(false);
    expect(await needsWholeTree('auto', root, 'deploy')).toBe(false);
    expect(await needsWholeTree('auto', root, 'deploy/nested/web.yaml')).toBe(false);
  });

  it('a kustomization or a chart may read anywhere in the repository', async () => {
    expect(await needsWholeTree('kustomize', root, 'deploy')).toBe(true);
    expect(await needsWholeTree('helm', root, 'deploy')).toBe(true);
    await writeFile(path.join(root, 'deploy', 'kustomization.yaml'), 'resources: [../base]\n');
    expect(await needsWholeTree('auto', root, 'deploy')).toBe(true);
    await rm(path.join(root, 'deploy', 'kustomization.yaml'));
    await writeFile(path.join(root, 'deploy', 'Chart.yaml'), 'name: shop\n');
    expect(await needsWholeTree('auto', root, 'deploy')).toBe(true);
  });

  it('a symbolic link anywhere under the path, or the path itself a link, may lead outside it', async () => {
    await symlink('../../shared/extra.yaml', path.join(root, 'deploy', 'nested', 'extra.yaml'));
    expect(await needsWholeTree('plain', root, 'deploy')).toBe(true);
    await symlink('deploy/nested/web.yaml', path.join(root, 'linked.yaml'));
    expect(await needsWholeTree('plain', root, 'linked.yaml')).toBe(true);
  });

  it('a path the checkout lacks needs nothing more (the render reports it missing)', async () => {
    expect(await needsWholeTree('plain', root, 'nowhere')).toBe(false);
  });
});
