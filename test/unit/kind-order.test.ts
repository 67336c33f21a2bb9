import { describe, expect, it } from 'vitest';
import { batches, batchOf, byBatch, compareApplyOrder, kindOrder, type Ordered } from '../../src/sync/order.js';

const o = (apiVersion: string, kind: string, name: string, namespace?: string): Ordered => ({ apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) } });
const subject = (x: Ordered) => `${x.kind}/${x.metadata.namespace ? `${x.metadata.namespace}/` : ''}${x.metadata.name}`;

/** A whole application, in the order the kind order documents. */
const documented: Ordered[] = [
  o('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'widgets.example.com'),
  o('v1', 'Namespace', 'shop'),
  o('storage.k8s.io/v1', 'StorageClass', 'fast'),
  o('scheduling.k8s.io/v1', 'PriorityClass', 'high'),
  o('networking.k8s.io/v1', 'IngressClass', 'nginx'),
  o('v1', 'ResourceQuota', 'quota', 'shop'),
  o('networking.k8s.io/v1', 'NetworkPolicy', 'deny-all', 'shop'),
  o('v1', 'ServiceAccount', 'web', 'shop'),
  o('rbac.authorization.k8s.io/v1', 'ClusterRole', 'reader'),
  o('rbac.authorization.k8s.io/v1', 'RoleBinding', 'web', 'shop'),
  o('v1', 'Secret', 'web', 'shop'),
  o('v1', 'ConfigMap', 'a', 'shop'),
  o('v1', 'ConfigMap', 'b', 'shop'),
  o('v1', 'ConfigMap', 'a', 'tools'),
  o('v1', 'PersistentVolumeClaim', 'data', 'shop'),
  o('v1', 'Service', 'web', 'shop'),
  o('apps/v1', 'Deployment', 'web', 'shop'),
  o('apps/v1', 'StatefulSet', 'db', 'shop'),
  o('batch/v1', 'CronJob', 'backup', 'shop'),
  o('autoscaling/v2', 'HorizontalPodAutoscaler', 'web', 'shop'),
  o('policy/v1', 'PodDisruptionBudget', 'web', 'shop'),
  o('networking.k8s.io/v1', 'Ingress', 'web', 'shop'),
  o('cert-manager.io/v1', 'Certificate', 'web', 'shop'),
  o('example.com/v1', 'Widget', 'w', 'shop'),
  o('example.com/v1', 'Widget', 'x', 'shop'),
  o('admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration', 'inject'),
  o('admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', 'check'),
  o('admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicy', 'limits'),
  o('admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicyBinding', 'limits'),
];

/** A deterministic shuffle (mulberry32), so a failure can be reproduced. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed;
  const random = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('the kind order', () => {
  it.each([1, 2, 3, 42, 2026])('puts a shuffled application in the documented order (seed %i)', (seed) => {
    const sorted = shuffled(documented, seed).sort(compareApplyOrder);
    expect(sorted.map(subject)).toEqual(documented.map(subject));
  });

  it('lists its rows batch by batch, in the order of the batches, each kind once', () => {
    const order = kindOrder.map((k) => batches.indexOf(k.batch));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(new Set(kindOrder.map((k) => `${k.group}/${k.kind}`)).size).toBe(kindOrder.length);
  });

  it('writes a CRD before its custom resources and a Namespace before what lives in it', () => {
    const { definitions, resources } = byBatch(shuffled(documented, 7), (x) => x);
    expect(definitions.map(subject)).toEqual(['CustomResourceDefinition/widgets.example.com', 'Namespace/shop']);
    expect(resources.map(subject)).toContain('Widget/shop/w');
  });

  it('puts admission webhooks and policies last, after custom resources', () => {
    const { webhooks, resources } = byBatch(documented, (x) => x);
    expect(webhooks.map((x) => x.kind)).toEqual(['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']);
    expect(resources.at(-1)?.kind).toBe('Widget');
  });

  it('puts a kind it does not list at the end of resources, ordered by group, kind, namespace and name', () => {
    const unknown = [o('b.example/v1', 'Alpha', 'x', 'ns'), o('a.example/v1', 'Zeta', 'x', 'ns'), o('a.example/v1', 'Beta', 'y', 'ns'), o('a.example/v1', 'Beta', 'x', 'other')];
    expect(unknown.every((x) => batchOf(x) === 'resources')).toBe(true);
    const sorted = [...unknown, o('networking.k8s.io/v1', 'Ingress', 'web', 'ns')].sort(compareApplyOrder);
    expect(sorted.map((x) => `${x.apiVersion} ${subject(x)}`)).toEqual([
      'networking.k8s.io/v1 Ingress/ns/web',
      'a.example/v1 Beta/ns/y',
      'a.example/v1 Beta/other/x',
      'a.example/v1 Zeta/ns/x',
      'b.example/v1 Alpha/ns/x',
    ]);
  });

  it('matches a kind by group, whatever its version: a Namespace of another group is a custom resource', () => {
    expect(batchOf(o('v1', 'Namespace', 'a'))).toBe('definitions');
    expect(batchOf(o('apiextensions.k8s.io/v1beta1', 'CustomResourceDefinition', 'a'))).toBe('definitions');
    expect(batchOf(o('example.com/v1', 'Namespace', 'a'))).toBe('resources');
    expect(batchOf(o('example.com/v1', 'ValidatingWebhookConfiguration', 'a'))).toBe('resources');
  });

  it('gives every batch, empty ones included', () => {
    expect(byBatch([], (x: Ordered) => x)).toEqual({ definitions: [], classes: [], resources: [], webhooks: [] });
  });
});
