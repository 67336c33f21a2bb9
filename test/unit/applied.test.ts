import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/kube/objects.js';
import { appliedHashAnnotation, stampApplied, unchangedSinceApplied } from '../../src/sync/applied.js';

const manifest = (data: Record<string, string>, extra: object = {}): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'n' }, data, ...extra });
const stamped = (o: KubeObject) => {
  const copy = structuredClone(o);
  stampApplied(copy);
  return copy;
};
/** What the API server would hold after applying `desired`: its fields plus server bookkeeping. */
const liveOf = (desired: KubeObject): KubeObject => ({ ...structuredClone(desired), metadata: { ...structuredClone(desired.metadata), uid: 'u', resourceVersion: '7' } });

describe('unchanged since applied (the no-dry-run path)', () => {
  it.each([
    { name: 'the same manifest against what it produced', live: () => liveOf(stamped(manifest({ a: '1' }))), desired: () => stamped(manifest({ a: '1' })), expected: true },
    { name: 'a field changed by hand', live: () => ({ ...liveOf(stamped(manifest({ a: '1' }))), data: { a: 'hand' } }), desired: () => stamped(manifest({ a: '1' })), expected: false },
    { name: 'a field removed from Git', live: () => liveOf(stamped(manifest({ a: '1', b: '2' }))), desired: () => stamped(manifest({ a: '1' })), expected: false },
    { name: 'a field added in Git', live: () => liveOf(stamped(manifest({ a: '1' }))), desired: () => stamped(manifest({ a: '1', b: '2' })), expected: false },
    { name: 'an object applied before the digest existed', live: () => liveOf(manifest({ a: '1' })), desired: () => stamped(manifest({ a: '1' })), expected: false },
    { name: 'server defaults added live', live: () => ({ ...liveOf(stamped(manifest({ a: '1' }))), immutable: false }), desired: () => stamped(manifest({ a: '1' })), expected: true },
    { name: 'a list of another length live', live: () => liveOf(stamped(manifest({}, { spec: { items: [1, 2] } }))), desired: () => stamped(manifest({}, { spec: { items: [1] } })), expected: false },
  ])('$name → $expected', ({ live, desired, expected }) => {
    expect(unchangedSinceApplied(live(), desired())).toBe(expected);
  });

  it('does not depend on key order', () => {
    const a = stamped({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { x: '1', y: '2' } });
    const b = stamped({ kind: 'ConfigMap', data: { y: '2', x: '1' }, metadata: { name: 'c' }, apiVersion: 'v1' });
    expect(a.metadata.annotations?.[appliedHashAnnotation]).toBe(b.metadata.annotations?.[appliedHashAnnotation]);
  });

  it('never stamps a digest of Secret values', () => {
    const secret = stamped({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { password: 'hunter2' } });
    expect(secret.metadata.annotations).toBeUndefined();
    expect(unchangedSinceApplied(liveOf(secret), secret)).toBe(false);
  });
});
