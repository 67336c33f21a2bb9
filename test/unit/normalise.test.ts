import { describe, expect, it } from 'vitest';
import type { ResourceInfo } from '../../src/kube/discovery.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { findDuplicates, identityKey, normalise } from '../../src/sync/normalise.js';

const configMaps: ResourceInfo = { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true, statusSubresource: false };
const secrets: ResourceInfo = { apiVersion: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true, statusSubresource: false };
const clusterRoles: ResourceInfo = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', plural: 'clusterroles', namespaced: false, statusSubresource: false };
const hpaV1: ResourceInfo = { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', plural: 'horizontalpodautoscalers', namespaced: true, statusSubresource: true };
const hpaV2: ResourceInfo = { ...hpaV1, apiVersion: 'autoscaling/v2' };

const object = (info: ResourceInfo, metadata: KubeObject['metadata'], rest: object = {}): KubeObject => ({ apiVersion: info.apiVersion, kind: info.kind, metadata, ...rest });
const keyAfterNormalising = (info: ResourceInfo, metadata: KubeObject['metadata']) => {
  const o = object(info, metadata);
  normalise(o, info, 'shop');
  return identityKey(info, o.metadata.namespace, o.metadata.name);
};

describe('one identity per object', () => {
  it.each([
    { name: 'no namespace and the default written out', a: [configMaps, { name: 'flags' }], b: [configMaps, { name: 'flags', namespace: 'shop' }], same: true },
    { name: 'an empty namespace and the default written out', a: [configMaps, { name: 'flags', namespace: '' }], b: [configMaps, { name: 'flags', namespace: 'shop' }], same: true },
    { name: 'two versions of one group', a: [hpaV1, { name: 'web' }], b: [hpaV2, { name: 'web' }], same: true },
    { name: 'a cluster-scoped object with a stray namespace', a: [clusterRoles, { name: 'reader', namespace: 'shop' }], b: [clusterRoles, { name: 'reader' }], same: true },
    { name: 'two namespaces', a: [configMaps, { name: 'flags', namespace: 'other' }], b: [configMaps, { name: 'flags' }], same: false },
    { name: 'two kinds with one name', a: [configMaps, { name: 'flags' }], b: [secrets, { name: 'flags' }], same: false },
  ] as const)('$name → same object: $same', ({ a, b, same }) => {
    expect(keyAfterNormalising(a[0], { ...a[1] }) === keyAfterNormalising(b[0], { ...b[1] })).toBe(same);
  });

  it('keeps a namespace that is written out and drops it from cluster-scoped objects', () => {
    const namespaced = object(configMaps, { name: 'a', namespace: 'other' });
    const cluster = object(clusterRoles, { name: 'r', namespace: 'shop' });
    normalise(namespaced, configMaps, 'shop');
    normalise(cluster, clusterRoles, 'shop');
    expect(namespaced.metadata.namespace).toBe('other');
    expect(cluster.metadata).toEqual({ name: 'r' });
  });

  it('refuses every later duplicate, naming both files, and keeps the first', () => {
    const item = (key: string, file: string) => ({ key, subject: `ConfigMap/shop/${key}`, file });
    const { unique, problems } = findDuplicates([item('a', 'deploy/a-flags.yaml'), item('b', 'deploy/b.yaml'), item('a', 'deploy/b-flags-copy.yaml'), item('b', 'deploy/b.yaml')]);
    expect(unique.map((u) => u.file)).toEqual(['deploy/a-flags.yaml', 'deploy/b.yaml']);
    expect(problems).toEqual([
      { subject: 'ConfigMap/shop/a', file: 'deploy/b-flags-copy.yaml', message: 'defined twice: in deploy/a-flags.yaml and in deploy/b-flags-copy.yaml' },
      { subject: 'ConfigMap/shop/b', file: 'deploy/b.yaml', message: 'defined twice in deploy/b.yaml' },
    ]);
  });
});

describe('Secret data', () => {
  it.each([
    { name: 'stringData only', data: undefined, stringData: { user: 'admin' }, expected: { user: 'YWRtaW4=' } },
    { name: 'stringData wins over data for one key', data: { user: 'cm9vdA==', keep: 'eA==' }, stringData: { user: 'admin' }, expected: { user: 'YWRtaW4=', keep: 'eA==' } },
    { name: 'UTF-8 values', data: undefined, stringData: { word: 'grüß' }, expected: { word: Buffer.from('grüß').toString('base64') } },
    { name: 'data only', data: { user: 'YWRtaW4=' }, stringData: undefined, expected: { user: 'YWRtaW4=' } },
  ])('$name → data only', ({ data, stringData, expected }) => {
    const secret = object(secrets, { name: 's' }, { ...(data && { data }), ...(stringData && { stringData }) });
    normalise(secret, secrets, 'shop');
    expect(secret.data).toEqual(expected);
    expect(secret).not.toHaveProperty('stringData');
  });

  it('leaves a custom kind named Secret alone', () => {
    const info: ResourceInfo = { ...secrets, apiVersion: 'example.com/v1' };
    const custom = object(info, { name: 's' }, { stringData: { a: 'b' } });
    normalise(custom, info, 'shop');
    expect(custom.stringData).toEqual({ a: 'b' });
  });
});
