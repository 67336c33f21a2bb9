import { dump } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';

const FILE = '/etc/driftless/driftless.yaml';

const configYaml = (top: Record<string, unknown> = {}) =>
  dump({ clusters: { prod: { inCluster: true } }, targets: [{ name: 'shop', repo: 'github:acme/shop', cluster: 'prod', namespace: 'shop' }], ...top });

describe('worker: config', () => {
  it('runs 4 syncs at once by default', () => {
    expect(parseConfig(configYaml(), FILE, {}).worker).toEqual({ syncConcurrency: 4 });
  });

  it('takes syncConcurrency as a number or a substituted string', () => {
    expect(parseConfig(configYaml({ worker: { syncConcurrency: 32 } }), FILE, {}).worker.syncConcurrency).toBe(32);
    expect(parseConfig(configYaml({ worker: { syncConcurrency: '${SYNCS}' } }), FILE, { SYNCS: '8' }).worker.syncConcurrency).toBe(8);
  });

  it.each([0, 257, 1.5, 'many'])('refuses syncConcurrency %s, naming the field', (value) => {
    expect(() => parseConfig(configYaml({ worker: { syncConcurrency: value } }), FILE, {})).toThrow(ConfigError);
    try {
      parseConfig(configYaml({ worker: { syncConcurrency: value } }), FILE, {});
    } catch (err) {
      expect((err as ConfigError).problems.map((p) => p.path)).toEqual(['worker.syncConcurrency']);
    }
  });

  it('refuses an unknown worker key', () => {
    expect(() => parseConfig(configYaml({ worker: { concurrency: 8 } }), FILE, {})).toThrow(ConfigError);
  });
});
