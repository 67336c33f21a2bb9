import { describe, expect, it } from 'vitest';
import { takeOrigin } from '../../src/sync/render/kustomize.js';
import { normalizeInside } from '../../src/sync/render/paths.js';

describe('repository paths in normal form', () => {
  it.each([
    ['', '.'],
    ['.', '.'],
    ['deploy/prod/', 'deploy/prod'],
    ['deploy//prod/./web.yaml', 'deploy/prod/web.yaml'],
    ['deploy/../base', 'base'],
    ['..', undefined],
    ['deploy/../../etc', undefined],
    ['/etc/passwd', undefined],
  ])('%j is %j', (posix, expected) => {
    expect(normalizeInside(posix)).toBe(expected);
  });

  it('names the file a kustomize object came from, or the kustomization when the origin leaves the repository', () => {
    const origin = (path: string) => ({ metadata: { name: 'a', annotations: { 'config.kubernetes.io/origin': `path: ${path}\n` } } });
    expect(takeOrigin(origin('../base/web.yaml'), 'deploy/prod', 'deploy/prod/kustomization.yaml')).toBe('deploy/base/web.yaml');
    expect(takeOrigin(origin('../../../web.yaml'), 'deploy/prod', 'deploy/prod/kustomization.yaml')).toBe('deploy/prod/kustomization.yaml');
  });
});
