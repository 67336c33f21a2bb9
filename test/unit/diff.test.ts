import { createTwoFilesPatch } from 'diff';
import * as yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { comparable, compareObjects, objectDiff } from '../../src/sync/diff.js';

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' }, annotations: { note: 'line one\nline two\n' } },
  spec: { replicas: 2, template: { spec: { containers: [{ name: 'web', image: 'nginx:1.27', args: ['--a', ''] }] } } },
};

/** What the diff library writes for the same two texts, without its preamble. */
function library(fromName: string, from: string, to: string): string {
  const patch = createTwoFilesPatch(fromName, 'git/Deployment/shop/web', from, to, undefined, undefined, { context: 3 });
  return patch.slice(patch.indexOf('---'));
}
const text = (o: object) => yaml.dump(comparable(o as Record<string, unknown>), { sortKeys: true, lineWidth: -1, noRefs: true });

describe('objectDiff of an object created or deleted whole', () => {
  it('is the diff library’s patch for a created object', () => {
    expect(objectDiff('Deployment/shop/web', undefined, deployment)).toBe(library('/dev/null', '', text(deployment)));
  });

  it('is the diff library’s patch for a deleted object', () => {
    expect(objectDiff('Deployment/shop/web', deployment, undefined)).toBe(library('live/Deployment/shop/web', text(deployment), ''));
  });

  it('still diffs two versions line by line', () => {
    const changed = { ...deployment, spec: { ...deployment.spec, replicas: 3 } };
    expect(objectDiff('Deployment/shop/web', deployment, changed)).toBe(library('live/Deployment/shop/web', text(deployment), text(changed)));
  });
});

describe('comparable', () => {
  it('leaves out status and server bookkeeping without changing the object it reads', () => {
    const live = { ...deployment, metadata: { ...deployment.metadata, uid: 'u-1', resourceVersion: '7', managedFields: [{ manager: 'driftless' }] }, status: { replicas: 2 } };
    const before = structuredClone(live);
    expect(comparable(live)).toEqual(deployment);
    expect(comparable(live, { keepStatus: true })).toEqual({ ...deployment, status: { replicas: 2 } });
    expect(live).toEqual(before);
  });
});

describe('compareObjects', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const secret = (data: Record<string, string>, note: string) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'shop', annotations: { note } }, data });

  it('finds no change, and no diff, between an object and its live copy', () => {
    const live = { ...deployment, metadata: { ...deployment.metadata, uid: 'u-1' }, status: { replicas: 2 } };
    expect(compareObjects('Deployment/shop/web', live, deployment)).toEqual({ changed: false, diff: '' });
  });

  it('gives the same diff as objectDiff for a changed, a created and a Secret object', () => {
    const changed = { ...deployment, spec: { ...deployment.spec, replicas: 3 } };
    const pairs: [Record<string, unknown> | undefined, Record<string, unknown>][] = [
      [deployment, changed],
      [undefined, deployment],
      [secret({ password: b64('old-value') }, 'n'), secret({ password: b64('new-value') }, 'n')],
    ];
    for (const [live, desired] of pairs) expect(compareObjects('X/shop/web', live, desired)).toEqual({ changed: true, diff: objectDiff('X/shop/web', live, desired) });
  });

  it('counts a Secret change that masking hides from the diff (an annotation that swaps one value for another)', () => {
    const data = { a: b64('first-secret'), b: b64('second-secret') };
    const result = compareObjects('Secret/shop/db', secret(data, 'first-secret'), secret(data, 'second-secret'));
    expect(result).toEqual({ changed: true, diff: '' });
  });
});
