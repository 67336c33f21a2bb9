import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { healthCheckProblems, healthSchema } from '../../src/config/health.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { healthOf, type HealthStatus } from '../../src/sync/health/index.js';

// The operator check library of the README (examples/health-checks.yaml), run against objects
// as their controllers write them: test/fixtures/health-checks/<kind>/<case>.yaml, each with a
// top-level `expected:` key.
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixtures = path.join(root, 'test/fixtures/health-checks');
const library = healthSchema.parse(load(readFileSync(path.join(root, 'examples/health-checks.yaml'), 'utf8')));

const cases = readdirSync(fixtures)
  .sort()
  .flatMap((kind) =>
    readdirSync(path.join(fixtures, kind))
      .sort()
      .map((file) => {
        const { expected, ...object } = load(readFileSync(path.join(fixtures, kind, file), 'utf8')) as Record<string, unknown>;
        return { name: `${kind}/${file}`, object: object as KubeObject, expected: expected as { status: HealthStatus; message: string } };
      }),
  );

describe('the operator check library', () => {
  it('is valid config: every expression compiles within its budget', () => {
    expect(healthCheckProblems(library)).toEqual([]);
  });

  it('covers cert-manager, Argo Rollouts and Flux, each with fixtures', () => {
    expect(library.checks.map((c) => c.kind).sort()).toEqual(['Certificate', 'HelmRelease', 'Kustomization', 'Rollout']);
    expect(readdirSync(fixtures).sort()).toEqual(['certificate', 'helmrelease', 'kustomization', 'rollout']);
  });

  it('is the library the README shows', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    for (const check of library.checks) {
      for (const text of [check.current, check.inProgress, check.failed]) if (text) expect(readme).toContain(text);
    }
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, { object, expected }) => {
    const health = healthOf(object, library);
    expect(health.status).toBe(expected.status);
    expect(health.message).toContain(expected.message);
  });
});
