import { describe, expect, it } from 'vitest';
import { crdKind, formatGroupKind, isKind, namespaceKind, parseGroupKind, secretKind } from '../../src/kube/keys.js';

describe('kinds across their versions', () => {
  it.each([
    ['v1', 'ConfigMap', 'ConfigMap', { group: '', kind: 'ConfigMap' }],
    ['apps/v1', 'Deployment', 'Deployment.apps', { group: 'apps', kind: 'Deployment' }],
    ['cert-manager.io/v1', 'Certificate', 'Certificate.cert-manager.io', { group: 'cert-manager.io', kind: 'Certificate' }],
  ])('writes %s %s as %s, and reads it back', (apiVersion, kind, written, groupKind) => {
    expect(formatGroupKind(apiVersion, kind)).toBe(written);
    expect(parseGroupKind(written)).toEqual(groupKind);
  });

  it('matches a kind by group and kind, in any version', () => {
    expect(isKind({ apiVersion: 'v1', kind: 'Namespace' }, namespaceKind)).toBe(true);
    expect(isKind({ apiVersion: 'example.com/v1', kind: 'Namespace' }, namespaceKind)).toBe(false);
    expect(isKind({ apiVersion: 'apiextensions.k8s.io/v1beta1', kind: 'CustomResourceDefinition' }, crdKind)).toBe(true);
    expect(isKind({ apiVersion: 'v1', kind: 'ConfigMap' }, secretKind)).toBe(false);
  });
});
