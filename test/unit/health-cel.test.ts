import { describe, expect, it } from 'vitest';
import { celBudget, compileHealthExpression } from '../../src/config/health.js';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { healthOf, mayBecomeUnhealthy, type HealthOptions } from '../../src/sync/health/index.js';

// Custom checks in CEL (targets[].health.checks, driftless.io/health-check-* annotations) and
// the per-target and per-object switches, on objects written for each behaviour.

const widget = (status: Record<string, unknown> | undefined, annotations: Record<string, string> = {}, apiVersion = 'example.com/v1'): KubeObject => ({
  apiVersion,
  kind: 'Widget',
  metadata: { name: 'w', namespace: 'shop', generation: 1, annotations },
  spec: { size: 3 },
  ...(status && { status }),
});

const phaseCheck = {
  apiVersion: 'example.com/v1',
  kind: 'Widget',
  inProgress: "status.?phase.orValue('') == 'Provisioning'",
  failed: "status.?phase.orValue('') == 'Failed'",
  current: "status.?phase.orValue('') == 'Ready'",
};
const options: HealthOptions = { checks: [phaseCheck] };

function configWith(health: unknown): string {
  return JSON.stringify({ clusters: { prod: { inCluster: true } }, targets: [{ name: 'shop', repo: 'github:acme/shop', cluster: 'prod', namespace: 'shop', health }] });
}

function configError(health: unknown): ConfigError {
  try {
    parseConfig(configWith(health), 'driftless.yaml', {});
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('custom checks at config load', () => {
  it('fills in the defaults: no checks, load balancer addresses awaited', () => {
    const config = parseConfig(configWith(undefined), 'driftless.yaml', {});
    expect(config.targets[0]?.health).toEqual({ loadBalancerAddresses: true, checks: [] });
  });

  it('names the target, the kind and the expression that does not compile', () => {
    const err = configError({ checks: [{ ...phaseCheck, failed: "status.phase == 'Failed' &&" }] });
    expect(err.problems).toEqual([
      { path: 'targets[0].health.checks[0].failed', message: expect.stringMatching(/^target "shop": example\.com\/Widget: failed does not compile: .* \(at column \d+\)$/) },
    ]);
  });

  it('refuses an expression that cannot return a bool', () => {
    const err = configError({ checks: [{ apiVersion: 'example.com/v1', kind: 'Widget', current: 'status.phase + "!"' }] });
    expect(err.problems[0]?.message).toBe('target "shop": example.com/Widget: current must return a bool, not string');
  });

  it('refuses expressions over the size budget: length, then syntax tree', () => {
    const long = compileHealthExpression(`status.a == '${'x'.repeat(celBudget.maxLength)}'`);
    expect(long).toEqual({ problem: expect.stringMatching(/^is \d+ characters long \(at most 2000\)$/) });
    const wide = compileHealthExpression(`status.a == ${Array.from({ length: 300 }, () => '1').join(' + ')}`);
    expect(wide).toEqual({ problem: 'does not compile: Exceeded maxAstNodes (500) (at column 13)' });
    const deep = compileHealthExpression(`status.a == ${'('.repeat(40)}1${')'.repeat(40)}`);
    expect(deep).toEqual({ problem: expect.stringMatching(/^does not compile: Exceeded maxDepth \(32\)/) });
  });

  it('refuses two checks for one group and kind, and a group without a version', () => {
    const dup = configError({ checks: [phaseCheck, { apiVersion: 'example.com/v2', kind: 'Widget', current: 'true' }] });
    expect(dup.problems).toEqual([{ path: 'targets[0].health.checks[1]', message: 'target "shop": a second check for example.com/Widget (also checks[0])' }]);
    const versionless = configError({ checks: [{ apiVersion: 'example.com', current: 'true' }] });
    expect(versionless.problems).toEqual([{ path: 'targets[0].health.checks[0].apiVersion', message: 'expected an apiVersion such as cert-manager.io/v1' }]);
  });
});

describe('custom checks on objects', () => {
  it('evaluates in Flux order: inProgress, then failed, then current', () => {
    const both = { ...phaseCheck, inProgress: 'true', failed: 'true', current: 'true' };
    expect(healthOf(widget({}), { checks: [both] }).status).toBe('Progressing');
    expect(healthOf(widget({}), { checks: [{ ...both, inProgress: 'false' }] }).status).toBe('Degraded');
    expect(healthOf(widget({}), { checks: [{ ...both, inProgress: 'false', failed: 'false' }] }).status).toBe('Healthy');
  });

  it('maps current / inProgress / failed to Healthy / Progressing / Degraded, and none true to Progressing', () => {
    expect(healthOf(widget({ phase: 'Ready' }), options)).toEqual({ status: 'Healthy', message: "current (check example.com/Widget): status.?phase.orValue('') == 'Ready'" });
    expect(healthOf(widget({ phase: 'Provisioning' }), options).status).toBe('Progressing');
    expect(healthOf(widget({ phase: 'Failed', message: 'quota exceeded' }), options)).toEqual({ status: 'Degraded', message: 'failed (check example.com/Widget): quota exceeded' });
    expect(healthOf(widget({ phase: 'Pending' }), options)).toEqual({ status: 'Progressing', message: 'no health expression is true yet' });
  });

  it('is Unknown, naming the expression and the error, when a field it reads is not there yet', () => {
    const strict = { checks: [{ apiVersion: 'example.com/v1', current: "status.phase == 'Ready'" }] };
    expect(healthOf(widget(undefined), strict)).toEqual({ status: 'Unknown', message: 'current (check example.com/*) cannot be evaluated: Unknown variable: status (at column 1)' });
    expect(healthOf(widget({}), strict)).toEqual({ status: 'Unknown', message: 'current (check example.com/*) cannot be evaluated: No such key: phase (at column 1)' });
  });

  it('is Progressing while status.observedGeneration is behind, before any expression', () => {
    const object = widget({ phase: 'Ready', observedGeneration: 1 });
    object.metadata['generation'] = 2;
    expect(healthOf(object, options)).toEqual({ status: 'Progressing', message: 'waiting for the controller to observe generation 2' });
  });

  it('reads whole numbers as CEL ints, as cel-go does over unstructured objects', () => {
    const counting = { checks: [{ apiVersion: 'example.com/v1', current: 'status.readyReplicas + 1 == spec.size + 1 && status.ratio > 0.5' }] };
    expect(healthOf(widget({ readyReplicas: 3, ratio: 0.75 }), counting).status).toBe('Healthy');
  });

  it('stops an expensive expression at its time budget and fails the object', () => {
    const costly = { checks: [{ apiVersion: 'example.com/v1', current: 'status.items.all(a, status.items.all(b, status.items.all(c, a + b + c >= 0)))' }] };
    const started = performance.now();
    const health = healthOf(widget({ items: Array.from({ length: 2_000 }, (_, i) => i) }), costly);
    expect(health).toEqual({ status: 'Degraded', message: `the custom health check (check example.com/*) ran past its budget of ${celBudget.evaluateMs}ms` });
    // 100 ms budget; 2 s leaves room for a loaded machine, and is far from the minutes the expression would take
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('prefers a check for the kind over one for the whole group, and ignores the version', () => {
    const checks = [{ apiVersion: 'example.com/v1', current: 'false' }, { apiVersion: 'example.com/v1', kind: 'Widget', current: 'true' }];
    expect(healthOf(widget({}, {}, 'example.com/v1beta2'), { checks }).status).toBe('Healthy');
    expect(healthOf({ ...widget({}), kind: 'Gadget' }, { checks }).status).toBe('Progressing');
    expect(healthOf(widget({}, {}, 'other.example.com/v1'), { checks }).message).toBe('applied');
  });

  it('replaces the built-in check of a kind it matches', () => {
    const service: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { type: 'LoadBalancer' }, status: { loadBalancer: {} } };
    expect(healthOf(service).status).toBe('Progressing');
    expect(healthOf(service, { checks: [{ apiVersion: 'v1', kind: 'Service', current: "spec.type == 'LoadBalancer'" }] }).status).toBe('Healthy');
  });
});

describe('per-object annotations', () => {
  it('replace the target check with the object’s own expressions', () => {
    const own = { 'driftless.io/health-check-current': "status.?phase.orValue('') == 'Provisioning'" };
    expect(healthOf(widget({ phase: 'Provisioning' }, own), options)).toEqual({
      status: 'Healthy',
      message: "current (annotation driftless.io/health-check-current): status.?phase.orValue('') == 'Provisioning'",
    });
  });

  it('fail the object at once when an expression does not compile or current is missing', () => {
    const broken = healthOf(widget({}, { 'driftless.io/health-check-current': 'status.phase ==' }), options);
    expect(broken.status).toBe('Degraded');
    expect(broken.message).toMatch(/^current \(annotation driftless\.io\/health-check-current\) does not compile: /);
    expect(healthOf(widget({}, { 'driftless.io/health-check-failed': 'true' }), options)).toEqual({
      status: 'Degraded',
      message: 'current (annotation driftless.io/health-check-current) is missing; the other health-check annotations need it',
    });
  });

  it('driftless.io/health-check: disabled makes any object healthy and unwatched', () => {
    const off = { 'driftless.io/health-check': 'disabled' };
    expect(healthOf(widget({ phase: 'Failed' }, off), options)).toEqual({ status: 'Healthy', message: 'not checked (driftless.io/health-check: disabled)' });
    expect(mayBecomeUnhealthy(widget(undefined, off), options)).toBe(false);
  });
});

describe('load balancer addresses and which objects the wait reads', () => {
  const lbService = (annotations: Record<string, string> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', annotations }, spec: { type: 'LoadBalancer' }, status: { loadBalancer: {} } });
  const ingress: KubeObject = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web' }, spec: {}, status: { loadBalancer: {} } };

  it('with health.loadBalancerAddresses: false, a LoadBalancer Service and an Ingress are healthy at once and not read', () => {
    const off = { loadBalancerAddresses: false };
    expect(healthOf(lbService(), off)).toEqual({ status: 'Healthy', message: 'load balancer address not awaited (health.loadBalancerAddresses: false)' });
    expect(healthOf(ingress, off).status).toBe('Healthy');
    expect(mayBecomeUnhealthy(lbService(), off)).toBe(false);
    expect(mayBecomeUnhealthy(ingress, off)).toBe(false);
  });

  it('reads a LoadBalancer Service but not a ClusterIP one; HPAs; kinds with a custom check or annotation', () => {
    expect(mayBecomeUnhealthy(lbService())).toBe(true);
    expect(mayBecomeUnhealthy({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { type: 'ClusterIP' } })).toBe(false);
    expect(mayBecomeUnhealthy(ingress)).toBe(true);
    expect(mayBecomeUnhealthy({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web' } })).toBe(true);
    const configMap = (annotations: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', annotations } });
    expect(mayBecomeUnhealthy(configMap())).toBe(false);
    expect(mayBecomeUnhealthy(configMap({ 'driftless.io/health-check-current': 'true' }))).toBe(true);
    expect(mayBecomeUnhealthy(configMap(), { checks: [{ apiVersion: 'v1', kind: 'ConfigMap', current: 'has(data.ready)' }] })).toBe(true);
  });
});
