import { createTwoFilesPatch } from 'diff';
import * as yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { comparable, objectDiff } from '../../src/sync/diff.js';

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
