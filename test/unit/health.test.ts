import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/kube/objects.js';
import { describeUnhealthy, healthOf, progressLine, worstHealth, worstOf } from '../../src/sync/health/index.js';
import type { Health, HealthStatus } from '../../src/sync/health/index.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/health');

interface Case {
  name: string;
  object: KubeObject;
  expected: { status: HealthStatus; message: string };
}

/** Every `<kind>/<case>.yaml`: a live object plus a top-level `expected:` key, stripped before evaluation. */
function loadCases(): Case[] {
  const cases: Case[] = [];
  for (const kind of readdirSync(fixtures).sort()) {
    for (const file of readdirSync(path.join(fixtures, kind)).sort()) {
      const name = `${kind}/${file}`;
      const { expected, ...object } = load(readFileSync(path.join(fixtures, kind, file), 'utf8')) as Record<string, unknown>;
      if (!expected) throw new Error(`${name}: no top-level expected: key`);
      cases.push({ name, object: object as KubeObject, expected: expected as Case['expected'] });
    }
  }
  return cases;
}

const cases = loadCases();

describe('healthOf fixtures', () => {
  it('covers every kind with a checker', () => {
    const kinds = new Set(cases.map((c) => c.name.split('/')[0]));
    expect([...kinds].sort()).toEqual(['custom', 'daemonset', 'deployment', 'hpa', 'ingress', 'job', 'other', 'pod', 'pvc', 'service', 'statefulset']);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, { object, expected }) => {
    expect(object).not.toHaveProperty('expected');
    const health = healthOf(object);
    expect(health.status).toBe(expected.status);
    expect(health.message).toContain(expected.message);
  });
});

/** A fixture's object, for variations on real status. */
function fixture(name: string): KubeObject {
  const found = cases.find((c) => c.name === name);
  if (!found) throw new Error(`no fixture ${name}`);
  return structuredClone(found.object);
}

const status = (object: KubeObject) => object.status as Record<string, unknown>;

describe('healthOf edge cases', () => {
  it('reports an object that does not exist as Missing', () => {
    expect(healthOf(undefined)).toEqual({ status: 'Missing', message: 'not found' });
  });

  it('reads a malformed status as Unknown instead of guessing', () => {
    const deployment = fixture('deployment/complete.yaml');
    status(deployment).updatedReplicas = '3';
    expect(healthOf(deployment)).toEqual({ status: 'Unknown', message: 'cannot read the object: status.updatedReplicas is not an integer' });

    const job = fixture('job/running.yaml');
    job.status = 'Running';
    expect(healthOf(job).status).toBe('Unknown');
  });

  it('defaults spec.replicas to 1', () => {
    const deployment = fixture('deployment/progress-deadline-exceeded.yaml');
    delete (deployment.spec as Record<string, unknown>).replicas;
    expect(healthOf(deployment).message).toContain('1/1 new pods updated');
  });

  it('dispatches on the API group, not the kind alone', () => {
    // a paused apps/v1 Deployment is Suspended; a custom Deployment kind only gets the generic condition check
    const lookalike = { ...fixture('deployment/paused.yaml'), apiVersion: 'example.com/v1' };
    expect(healthOf(lookalike)).toEqual({ status: 'Healthy', message: 'available' });
  });

  it('treats Stalled=True as Degraded (kstatus convention)', () => {
    const kustomization = fixture('custom/flux-kustomization-ready.yaml');
    status(kustomization).conditions = [
      { type: 'Ready', status: 'False', reason: 'ArtifactFailed', message: 'kustomization path not found' },
      { type: 'Stalled', status: 'True', reason: 'ArtifactFailed', message: 'kustomization path not found' },
    ];
    expect(healthOf(kustomization)).toEqual({ status: 'Degraded', message: 'ArtifactFailed: kustomization path not found' });
  });

  it('takes the worse of Ready and Available', () => {
    const object = fixture('custom/certificate-ready.yaml');
    status(object).conditions = [
      { type: 'Ready', status: 'True', reason: 'Ready' },
      { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable' },
    ];
    expect(healthOf(object)).toEqual({ status: 'Progressing', message: 'not available (MinimumReplicasUnavailable)' });
  });

  it('ignores a missing status.observedGeneration on kinds that do not report one', () => {
    const certificate = fixture('custom/certificate-ready.yaml');
    (certificate.metadata as Record<string, unknown>).generation = 7;
    status(certificate).conditions = [{ type: 'Ready', status: 'True', reason: 'Ready' }];
    expect(healthOf(certificate).status).toBe('Healthy');
  });

  it('keeps condition messages to one short line', () => {
    const deployment = fixture('deployment/quota-failed-create.yaml');
    const message = healthOf(deployment).message;
    expect(message).not.toContain('\n');
    expect(message.length).toBeLessThan(220);
  });
});

describe('worstOf', () => {
  it.each<[HealthStatus[], HealthStatus]>([
    [[], 'Healthy'],
    [['Healthy', 'Healthy'], 'Healthy'],
    [['Healthy', 'Suspended'], 'Suspended'],
    [['Suspended', 'Progressing'], 'Progressing'],
    [['Progressing', 'Unknown'], 'Unknown'],
    [['Unknown', 'Missing'], 'Missing'],
    [['Missing', 'Degraded', 'Healthy'], 'Degraded'],
    [['Degraded', 'Progressing'], 'Degraded'],
  ])('%j → %s', (statuses, worst) => {
    expect(worstOf(statuses)).toBe(worst);
  });

  it('orders all six statuses', () => {
    const order: HealthStatus[] = ['Healthy', 'Suspended', 'Progressing', 'Unknown', 'Missing', 'Degraded'];
    for (let i = 1; i < order.length; i++) expect(worstOf(order.slice(0, i + 1))).toBe(order[i]);
  });

  it('worstHealth keeps the first of the worst, with its message', () => {
    const list: Health[] = [
      { status: 'Healthy', message: 'applied' },
      { status: 'Progressing', message: '1/3 pods updated' },
      { status: 'Progressing', message: '0/1 pods ready' },
    ];
    expect(worstHealth(list)).toEqual({ status: 'Progressing', message: '1/3 pods updated' });
    expect(worstHealth([])).toEqual({ status: 'Healthy', message: 'no objects' });
  });
});

describe('describeUnhealthy', () => {
  it('lists the objects that are not healthy, worst first', () => {
    const entries = [
      { subject: 'ConfigMap/shop/api-config', health: healthOf(fixture('other/configmap.yaml')) },
      { subject: 'Job/shop/migrate', health: { status: 'Degraded', message: 'BackoffLimitExceeded' } as Health },
      { subject: 'StatefulSet/shop/db', health: healthOf(fixture('statefulset/rolling.yaml')) },
      { subject: 'Deployment/shop/api', health: { status: 'Degraded', message: 'ProgressDeadlineExceeded; 0/1 new pods updated' } as Health },
      { subject: 'Secret/shop/creds', health: healthOf(undefined) },
    ];
    expect(describeUnhealthy(entries)).toBe(
      'Job/shop/migrate: BackoffLimitExceeded; Deployment/shop/api: ProgressDeadlineExceeded; 0/1 new pods updated; ' +
        'Secret/shop/creds: not found; StatefulSet/shop/db: 1/3 pods updated',
    );
    expect(entries[0]?.subject).toBe('ConfigMap/shop/api-config');
  });

  it('names real objects by their reasons', () => {
    const text = describeUnhealthy([
      { subject: 'Deployment/shop/api', health: healthOf(fixture('deployment/progress-deadline-exceeded.yaml')) },
      { subject: 'Job/shop/migrate', health: healthOf(fixture('job/failed-backoff-limit.yaml')) },
    ]);
    expect(text).toMatch(/^Deployment\/shop\/api: ProgressDeadlineExceeded; 1\/1 new pods updated, 0 available .*; Job\/shop\/migrate: BackoffLimitExceeded: /);
  });

  it('is empty when everything is healthy, and falls back to the status without a message', () => {
    expect(describeUnhealthy([{ subject: 'ConfigMap/shop/a', health: { status: 'Healthy', message: 'applied' } }])).toBe('');
    expect(describeUnhealthy([{ subject: 'Widget/shop/w', health: { status: 'Unknown', message: '' } }])).toBe('Widget/shop/w: Unknown');
  });

  it('progressLine', () => {
    expect(progressLine(1, 3)).toBe('waiting: 1/3 healthy');
  });
});
