import { describe, expect, it } from 'vitest';
import { splitHooks } from '../../src/sync/hooks.js';
import type { Manifest } from '../../src/sync/manifest.js';

// Which rendered objects are hooks, in which phase, with which weight and delete policies:
// the Argo CD mapping of helm.sh/hook (https://argo-cd.readthedocs.io/en/stable/user-guide/helm/).

const manifest = (name: string, annotations?: Record<string, string>): Manifest => ({
  object: { apiVersion: 'batch/v1', kind: 'Job', metadata: { name, ...(annotations && { annotations }) } },
  file: `chart/templates/${name}.yaml`,
});

describe('splitHooks', () => {
  it.each([
    ['pre-install', ['PreSync']],
    ['pre-upgrade', ['PreSync']],
    ['post-install', ['PostSync']],
    ['post-upgrade', ['PostSync']],
    ['pre-install,post-install', ['PreSync', 'PostSync']],
    [' pre-upgrade , post-delete ', ['PreSync']],
  ])('helm.sh/hook: %s runs in %j', (events, phases) => {
    const { objects, hooks, problems } = splitHooks([manifest('job', { 'helm.sh/hook': events })]);
    expect(problems).toEqual([]);
    expect(objects).toEqual([]);
    expect(hooks.map((h) => h.phases)).toEqual([phases]);
  });

  it.each(['pre-delete', 'post-delete', 'pre-rollback', 'post-rollback', 'test', 'test-success', 'test-failure'])('helm.sh/hook: %s is skipped: neither a hook nor an object', (event) => {
    expect(splitHooks([manifest('job', { 'helm.sh/hook': event })])).toEqual({ objects: [], hooks: [], problems: [] });
  });

  it('keeps objects without a hook, and crd-install objects, as objects', () => {
    const plain = manifest('plain');
    const crd = manifest('crd', { 'helm.sh/hook': 'crd-install' });
    expect(splitHooks([plain, crd])).toEqual({ objects: [plain, crd], hooks: [], problems: [] });
  });

  it('reads the weight and the delete policies; before-hook-creation when none is given, as Helm', () => {
    const { hooks } = splitHooks([
      manifest('a', { 'helm.sh/hook': 'pre-install', 'helm.sh/hook-weight': '-5' }),
      manifest('b', { 'helm.sh/hook': 'post-install', 'helm.sh/hook-delete-policy': 'hook-succeeded,hook-failed' }),
    ]);
    expect(hooks.map((h) => [h.manifest.object.metadata.name, h.weight, h.deletePolicies])).toEqual([
      ['a', -5, ['before-hook-creation']],
      ['b', 0, ['hook-succeeded', 'hook-failed']],
    ]);
  });

  it('names the file of a hook with an unknown event, policy or weight', () => {
    const { hooks, problems } = splitHooks([
      manifest('a', { 'helm.sh/hook': 'pre-instal' }),
      manifest('b', { 'helm.sh/hook': 'pre-install', 'helm.sh/hook-weight': 'first' }),
      manifest('c', { 'helm.sh/hook': 'pre-install', 'helm.sh/hook-delete-policy': 'always' }),
    ]);
    expect(hooks).toEqual([]);
    expect(problems).toEqual([
      { subject: 'Job/a', file: 'chart/templates/a.yaml', message: 'unknown helm.sh/hook event pre-instal' },
      { subject: 'Job/b', file: 'chart/templates/b.yaml', message: 'helm.sh/hook-weight must be an integer, not "first"' },
      { subject: 'Job/c', file: 'chart/templates/c.yaml', message: 'unknown helm.sh/hook-delete-policy always' },
    ]);
  });
});
