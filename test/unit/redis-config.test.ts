import { dump } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';

const FILE = '/etc/driftless/driftless.yaml';

/** A valid config with one target and this `redis:` section. */
const withRedis = (redis: Record<string, unknown>) =>
  dump({ clusters: { prod: { inCluster: true } }, targets: [{ name: 'shop', repo: 'github:acme/shop', cluster: 'prod', namespace: 'shop' }], redis });

function problemsOf(redis: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(withRedis(redis), FILE, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error('expected a ConfigError');
}

describe('redis: for production', () => {
  it('takes credentials and TLS apart from the URL, TLS files relative to the config file', () => {
    const { redis } = parseConfig(withRedis({ url: 'redis://redis.internal:6379', username: 'driftless', password: 's3cret', tls: { caFile: 'certs/ca.pem', serverName: 'redis.internal' } }), FILE, {});
    expect(redis).toMatchObject({ url: 'redis://redis.internal:6379', username: 'driftless', password: 's3cret', tls: { caFile: '/etc/driftless/certs/ca.pem', serverName: 'redis.internal' }, minReplicasToAcknowledge: 0, replicaTimeout: 500 });
  });

  it('takes Sentinel: the primary name and the Sentinels, their own password, replicas to wait for', () => {
    const { redis } = parseConfig(withRedis({ sentinel: { masterName: 'mymaster', nodes: ['sentinel-0:26379', '[fd00::1]:26379'], password: 'x' }, password: 'y', minReplicasToAcknowledge: 1, replicaTimeout: '800ms' }), FILE, {});
    expect(redis).toMatchObject({ sentinel: { masterName: 'mymaster', nodes: ['sentinel-0:26379', '[fd00::1]:26379'], password: 'x', tls: false }, password: 'y', minReplicasToAcknowledge: 1, replicaTimeout: 800 });
  });

  it('refuses what cannot work, naming the key', () => {
    expect(problemsOf({ url: 'redis://a:6379', sentinel: { masterName: 'm', nodes: ['s:26379'] } })).toEqual(['redis.sentinel: not together with url: Sentinel finds the primary itself (drop redis.url)']);
    expect(problemsOf({ sentinel: { masterName: 'm', nodes: ['s'] } })).toEqual(['redis.sentinel.nodes[0]: expected host:port']);
    expect(problemsOf({ sentinel: { masterName: 'm', nodes: ['s:26379'], tls: true } })).toEqual(['redis.sentinel.tls: needs redis.tls (use {} for the public authorities)']);
    expect(problemsOf({ sentinel: { masterName: 'm', nodes: ['s:26379'] } }, { REDIS_URL: 'redis://other:6379' })).toEqual(['$REDIS_URL: set, but redis.sentinel finds the primary: unset REDIS_URL']);
    expect(problemsOf({ minReplicasToAcknowledge: -1 })).toEqual(['redis.minReplicasToAcknowledge: must be at least 0']);
  });
});
