import { describe, expect, it } from 'vitest';
import { kubectlFieldManagers } from '../../src/config/schema.js';
import type { KubeObject, ManagedFieldsEntry } from '../../src/kube/objects.js';
import { lastAppliedAnnotation } from '../../src/sync/ownership.js';
import { afterTakeover, describeTakeover, overlay, takeoverOf, takeoverPatch } from '../../src/sync/takeover.js';

const managers = [...kubectlFieldManagers];
const entry = (manager: string, operation: 'Apply' | 'Update', fieldsV1: ManagedFieldsEntry['fieldsV1'], extra: Partial<ManagedFieldsEntry> = {}): ManagedFieldsEntry => ({ manager, operation, apiVersion: 'v1', fieldsType: 'FieldsV1', time: '2026-01-01T00:00:00Z', fieldsV1, ...extra });
const object = (kind: string, entries: ManagedFieldsEntry[], rest: object = {}, annotations?: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind,
  metadata: { name: 'o', namespace: 'shop', resourceVersion: '7', managedFields: entries, ...(annotations && { annotations }) },
  ...rest,
});

const driftless = entry('driftless', 'Apply', { 'f:data': { 'f:mode': {} } });
const edit = entry('kubectl-edit', 'Update', { 'f:data': { 'f:extra': {} } });
const csa = entry('kubectl-client-side-apply', 'Update', { 'f:data': { '.': {}, 'f:legacy': {}, 'f:mode': {} }, 'f:metadata': { 'f:annotations': { '.': {}, [`f:${lastAppliedAnnotation}`]: {} } } });
const hpa = entry('kube-controller-manager', 'Update', { 'f:spec': { 'f:replicas': {} } }, { subresource: 'scale' });
const controller = entry('some-operator', 'Update', { 'f:data': { 'f:extra': {} } });

describe('what a takeover involves', () => {
  it.each([
    { name: 'only driftless', o: object('ConfigMap', [driftless]), expected: undefined },
    { name: 'a controller and a subresource', o: object('ConfigMap', [driftless, controller, hpa]), expected: undefined },
    { name: 'kubectl edit', o: object('ConfigMap', [driftless, edit]), expected: { from: ['kubectl-edit'], lastApplied: false, stringData: false } },
    { name: 'kubectl apply', o: object('ConfigMap', [csa], {}, { [lastAppliedAnnotation]: '{}' }), expected: { from: ['kubectl-client-side-apply'], lastApplied: true, stringData: false } },
    { name: 'kubectl --server-side (Apply)', o: object('ConfigMap', [entry('kubectl', 'Apply', {})]), expected: { from: ['kubectl'], lastApplied: false, stringData: false } },
    { name: 'a Secret applied with stringData', o: object('Secret', [entry('driftless', 'Apply', { 'f:stringData': { 'f:a': {} } })]), expected: { from: [], lastApplied: false, stringData: true } },
  ])('$name', ({ o, expected }) => {
    expect(takeoverOf(o, managers)).toEqual(expected);
  });

  it('describes itself', () => {
    expect(describeTakeover({ from: ['kubectl-client-side-apply'], lastApplied: true, stringData: false })).toBe(`takes over fields from kubectl-client-side-apply; drops ${lastAppliedAnnotation}`);
    expect(describeTakeover({ from: [], lastApplied: false, stringData: true })).toBe('moves ownership of stringData keys to data');
  });

  it('takes over nothing with an empty list but the annotation', () => {
    expect(takeoverOf(object('ConfigMap', [driftless, edit]), [])).toBeUndefined();
  });
});

describe('the takeover patch', () => {
  it('merges the taken entries into driftless’s, keeps the others, and drops last-applied, conditionally', () => {
    const o = object('ConfigMap', [csa, controller, driftless, edit, hpa], {}, { [lastAppliedAnnotation]: '{}' });
    expect(takeoverPatch(o, managers)).toEqual([
      { op: 'replace', path: '/metadata/resourceVersion', value: '7' },
      {
        op: 'replace',
        path: '/metadata/managedFields',
        value: [controller, hpa, { ...driftless, fieldsV1: { 'f:data': { '.': {}, 'f:mode': {}, 'f:legacy': {}, 'f:extra': {} }, 'f:metadata': { 'f:annotations': { '.': {}, [`f:${lastAppliedAnnotation}`]: {} } } } }],
      },
      { op: 'remove', path: '/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration' },
    ]);
  });

  it('renames the first taken entry when driftless has none', () => {
    const ops = takeoverPatch(object('ConfigMap', [csa, edit]), managers);
    expect(ops?.[1]).toEqual({ op: 'replace', path: '/metadata/managedFields', value: [{ ...csa, manager: 'driftless', operation: 'Apply', fieldsV1: { ...csa.fieldsV1, 'f:data': { '.': {}, 'f:legacy': {}, 'f:mode': {}, 'f:extra': {} } } }] });
  });

  it('moves a Secret’s stringData ownership to data', () => {
    const ops = takeoverPatch(object('Secret', [entry('driftless', 'Apply', { 'f:stringData': { '.': {}, 'f:a': {} }, 'f:data': { 'f:b': {} }, 'f:type': {} })]), managers);
    expect((ops?.[1] as { value: ManagedFieldsEntry[] }).value[0]!.fieldsV1).toEqual({ 'f:data': { 'f:a': {}, 'f:b': {} }, 'f:type': {} });
  });

  it('is not needed when there is nothing to take over', () => {
    expect(takeoverPatch(object('ConfigMap', [driftless, hpa]), managers)).toBeUndefined();
  });
});

describe('what the preview predicts', () => {
  it('removes plain fields only the taken managers held and Git does not declare', () => {
    const liveObject = object('ConfigMap', [driftless, csa, controller], { data: { mode: 'fast', legacy: 'on', extra: 'x' } }, { [lastAppliedAnnotation]: '{}' });
    const desired = object('ConfigMap', [], { data: { mode: 'fast' } });
    // the dry run before the takeover keeps what kubectl still held
    const predicted = afterTakeover(structuredClone(liveObject), liveObject, desired, managers);
    // `extra` stays: a manager that is not kubectl's also holds it
    expect(predicted.data).toEqual({ mode: 'fast', extra: 'x' });
    expect(predicted.metadata.annotations).toEqual({});
  });

  it('lays Git over the live object when the dry run could not run, lists replaced whole', () => {
    expect(overlay({ spec: { ports: [{ port: 83, protocol: 'TCP' }], clusterIP: '10.0.0.1' } }, { spec: { ports: [{ port: 80 }] } })).toEqual({ spec: { ports: [{ port: 80 }], clusterIP: '10.0.0.1' } });
  });
});
