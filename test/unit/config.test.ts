import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { dump } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvReferenceError, formatConfigPath, substituteEnv } from '../../src/config/env.js';
import { loadConfig, parseConfig } from '../../src/config/load.js';
import { parseDuration, parseRepoSpec, permissionLevels } from '../../src/config/schema.js';
import { ConfigError } from '../../src/errors.js';

const FILE = '/etc/driftless/driftless.yaml';
const ENV = {
  GITHUB_WEBHOOK_SECRET: 'gh-hook-secret',
  GITHUB_TOKEN: 'gh-token',
  GITLAB_WEBHOOK_TOKEN: 'gl-hook-token',
  GITLAB_TOKEN: 'gl-token',
};

/** A valid config with one target; `target` and `top` are merged over it. */
function configYaml(target: Record<string, unknown> = {}, top: Record<string, unknown> = {}): string {
  return dump({
    clusters: { prod: { kubeconfig: '/etc/k/prod.kubeconfig' }, local: { inCluster: true } },
    targets: [{ name: 'shop', repo: 'github:acme/shop', cluster: 'prod', namespace: 'shop', ...target }],
    ...top,
  });
}

/** Parses and returns the ConfigError's problems; fails the test when parsing succeeds. */
function problemsOf(text: string, env: NodeJS.ProcessEnv = ENV): { path: string; message: string }[] {
  try {
    parseConfig(text, FILE, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return [...(err as ConfigError).problems];
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig: valid files', () => {
  it('reads the design example with every field set', () => {
    const text = `
providers:
  github: { webhookSecret: "\${GITHUB_WEBHOOK_SECRET}", token: "\${GITHUB_TOKEN}", apiUrl: https://api.github.com }
  gitlab:
    webhookToken: \${GITLAB_WEBHOOK_TOKEN}
    token: \${GITLAB_TOKEN}
    url: https://gitlab.example.com
clusters:
  prod: { kubeconfig: /etc/driftless/prod.kubeconfig, context: prod }
  local: { inCluster: true }
targets:
  - name: shop-prod
    repo: github:acme/shop
    cloneUrl: https://git.example.com/acme/shop.git
    branch: main
    path: deploy/prod
    render: auto
    renderLimits: { maxFileBytes: 1048576, maxTotalBytes: 4194304, maxObjects: 2000, timeout: 30s, maxMemoryMb: 128 }
    cluster: prod
    namespace: shop
    allowedNamespaces: [shop, shop-jobs]
    allowClusterScoped: false
    prune: true
    wait: { timeout: 2m }
    rollback: never
    reconcile: { interval: 1m30s, drift: warn }
    previews: false
    allowForks: true
    commands: { deploy: maintain, rollback: admin, lock: maintain }
    allowUsers: [alice, bob]
    inventoryNamespace: driftless
    concurrency: 4
    ownership: { takeOverFrom: [kubectl-client-side-apply, helm], adopt: annotated, maxPruneRatio: 3, allowMassPrune: true }
  - name: infra
    repo: gitlab:platform/infra/cluster
    cluster: local
    namespace: infra
server: { port: 9000, maxBodyBytes: 1048576, maxUnauthenticatedBytes: 4194304, bodyTimeout: 5s, apiToken: 0123456789abcdef0123 }
redis: { url: "redis://redis:6379/2", prefix: dl }
git: { cacheDir: /var/cache/driftless }
`;
    const config = parseConfig(text, FILE, ENV);

    expect(config.providers).toEqual({
      github: { webhookSecret: 'gh-hook-secret', token: 'gh-token', apiUrl: 'https://api.github.com', writeInterval: 1000, maxRateLimitWait: 60_000 },
      gitlab: { webhookToken: 'gl-hook-token', token: 'gl-token', url: 'https://gitlab.example.com' },
    });
    expect(config.clusters).toEqual({
      prod: { inCluster: false, kubeconfig: '/etc/driftless/prod.kubeconfig', context: 'prod' },
      local: { inCluster: true },
    });
    expect(config.targets[0]).toEqual({
      name: 'shop-prod',
      repo: { provider: 'github', path: 'acme/shop', spec: 'github:acme/shop' },
      cloneUrl: 'https://git.example.com/acme/shop.git',
      branch: 'main',
      path: 'deploy/prod',
      render: 'auto',
      renderLimits: { maxFileBytes: 1_048_576, maxTotalBytes: 4_194_304, maxObjects: 2000, timeout: 30_000, maxMemoryMb: 128 },
      cluster: 'prod',
      namespace: 'shop',
      allowedNamespaces: ['shop', 'shop-jobs'],
      allowClusterScoped: false,
      prune: true,
      wait: { timeout: 120_000 },
      health: { loadBalancerAddresses: true, checks: [] },
      rollback: 'never',
      debounce: { enabled: true, quiet: 1_000, maxWait: 15_000 },
      reconcile: { interval: 90_000, drift: 'warn' },
      previews: false,
      allowForks: true,
      branchDeploys: false,
      commands: { deploy: 'maintain', rollback: 'admin', lock: 'maintain', unlock: 'maintain', sync: 'write', diff: 'read' },
      allowUsers: ['alice', 'bob'],
      inventoryNamespace: 'driftless',
      concurrency: 4,
      ownership: { takeOverFrom: ['kubectl-client-side-apply', 'helm'], adopt: 'annotated', maxPruneRatio: 3, allowMassPrune: true },
    });
    expect(config.targets[1]?.repo).toEqual({
      provider: 'gitlab',
      path: 'platform/infra/cluster',
      spec: 'gitlab:platform/infra/cluster',
    });
    expect(config.server).toEqual({ port: 9000, maxBodyBytes: 1_048_576, maxUnauthenticatedBytes: 4_194_304, bodyTimeout: 5_000, apiToken: '0123456789abcdef0123', shutdownGracePeriod: 25_000 });
    expect(config.redis).toEqual({ url: 'redis://redis:6379/2', prefix: 'dl', minReplicasToAcknowledge: 0, replicaTimeout: 500 });
    expect(config.git).toEqual({ cacheDir: '/var/cache/driftless' });
  });

  it('fills in every default', () => {
    const config = parseConfig(configYaml(), FILE, {});
    expect(config.providers).toEqual({});
    expect(config.server).toEqual({ port: 8080, maxBodyBytes: 25 * 1024 * 1024, maxUnauthenticatedBytes: 32 * 1024 * 1024, bodyTimeout: 10_000, shutdownGracePeriod: 25_000 });
    expect(config.redis).toEqual({ url: 'redis://127.0.0.1:6379', prefix: 'driftless', minReplicasToAcknowledge: 0, replicaTimeout: 500 });
    expect(config.git).toEqual({ cacheDir: path.join(os.tmpdir(), 'driftless-git') });
    expect(config.targets).toEqual([
      {
        name: 'shop',
        repo: { provider: 'github', path: 'acme/shop', spec: 'github:acme/shop' },
        branch: 'main',
        path: '.',
        render: 'auto',
        renderLimits: { maxFileBytes: 4 * 1024 * 1024, maxTotalBytes: 8 * 1024 * 1024, maxObjects: 10_000, timeout: 60_000, maxMemoryMb: 256 },
        cluster: 'prod',
        namespace: 'shop',
        allowedNamespaces: ['shop'],
        allowClusterScoped: false,
        prune: true,
        wait: { timeout: 300_000 },
        health: { loadBalancerAddresses: true, checks: [] },
        rollback: 'onFailure',
        debounce: { enabled: true, quiet: 1_000, maxWait: 15_000 },
        reconcile: { interval: 300_000, drift: 'heal' },
        previews: true,
        allowForks: false,
        branchDeploys: false,
        commands: { deploy: 'write', rollback: 'maintain', lock: 'maintain', unlock: 'maintain', sync: 'write', diff: 'read' },
        inventoryNamespace: 'shop',
        concurrency: 8,
        ownership: { takeOverFrom: ['kubectl-client-side-apply', 'kubectl-edit', 'kubectl-patch', 'kubectl', 'before-first-apply'], adopt: 'kubectl-applied', maxPruneRatio: 2, allowMassPrune: false },
      },
    ]);
  });

  it('fills in provider defaults', () => {
    const config = parseConfig(
      configYaml({}, { providers: { github: { webhookSecret: 's' }, gitlab: { webhookToken: 't' }, generic: { secret: 'g' } } }),
      FILE,
      {},
    );
    expect(config.providers).toEqual({
      github: { webhookSecret: 's', apiUrl: 'https://api.github.com', writeInterval: 1000, maxRateLimitWait: 60_000 },
      gitlab: { webhookToken: 't', url: 'https://gitlab.com' },
      generic: { secret: 'g' },
    });
  });

  it.each([
    ['.', '.'],
    ['', '.'],
    ['./', '.'],
    ['deploy/prod', 'deploy/prod'],
    ['./deploy/prod/', 'deploy/prod'],
    ['deploy//prod/./base', 'deploy/prod/base'],
  ])('normalizes path %j to %j', (input, expected) => {
    expect(parseConfig(configYaml({ path: input }), FILE, {}).targets[0]?.path).toBe(expected);
  });

  it.each([
    ['github:acme/shop', 'github', 'acme/shop'],
    ['github:my-org/my.repo_2', 'github', 'my-org/my.repo_2'],
    ['gitlab:group/project', 'gitlab', 'group/project'],
    ['gitlab:group/sub/deeper/project', 'gitlab', 'group/sub/deeper/project'],
    ['gitlab:1234', 'gitlab', '1234'],
  ])('parses repo %s', (spec, provider, repoPath) => {
    expect(parseConfig(configYaml({ repo: spec }), FILE, {}).targets[0]?.repo).toEqual({ provider, path: repoPath, spec });
    expect(parseRepoSpec(spec)).toEqual({ provider, path: repoPath, spec });
  });

  it('resolves helm values files against the target path', () => {
    const config = parseConfig(
      configYaml({ path: 'charts/shop', render: 'helm', helm: { valuesFiles: ['values-prod.yaml', '../common/values.yaml'] } }),
      FILE,
      {},
    );
    expect(config.targets[0]?.helm).toEqual({ valuesFiles: ['charts/shop/values-prod.yaml', 'charts/common/values.yaml'], includeCrds: true, apiVersions: [], kustomizeHelmCharts: false, repositories: [] });
  });

  it('accepts numbers and booleans substituted from the environment', () => {
    const config = parseConfig(
      configYaml({ concurrency: '${CONCURRENCY}', prune: '${PRUNE}' }, { server: { port: '${HTTP_PORT}' } }),
      FILE,
      { CONCURRENCY: '3', PRUNE: 'false', HTTP_PORT: '9090' },
    );
    expect(config.targets[0]?.concurrency).toBe(3);
    expect(config.targets[0]?.prune).toBe(false);
    expect(config.server.port).toBe(9090);
  });

  it('keeps secrets with YAML syntax in them intact', () => {
    const secret = `a"b'c # d: e {f} [g] \${literal}`;
    const config = parseConfig(configYaml({}, { providers: { generic: { secret: '${SECRET}' } } }), FILE, { SECRET: secret });
    expect(config.providers.generic?.secret).toBe(secret);
  });

  it('uses defaults and escapes in references', () => {
    const config = parseConfig(
      configYaml({ namespace: '${NS:-shop}' }, { redis: { prefix: 'pre-$${NOT_A_VAR}', url: '${REDIS:-redis://r:6379}' } }),
      FILE,
      { NS: '' },
    );
    expect(config.targets[0]?.namespace).toBe('shop');
    expect(config.redis.prefix).toBe('pre-${NOT_A_VAR}');
    expect(config.redis.url).toBe('redis://r:6379');
  });

  it('lets PORT and REDIS_URL override the file', () => {
    const config = parseConfig(configYaml({}, { server: { port: 9000 } }), FILE, {
      PORT: '3000',
      REDIS_URL: 'rediss://:pw@redis.example.com:6380',
    });
    expect(config.server.port).toBe(3000);
    expect(config.redis.url).toBe('rediss://:pw@redis.example.com:6380');
  });

  it('resolves relative kubeconfig and cacheDir paths against the file directory', () => {
    const text = dump({
      clusters: { prod: { kubeconfig: 'kube/prod.kubeconfig' } },
      targets: [{ name: 'shop', repo: 'github:acme/shop', cluster: 'prod', namespace: 'shop' }],
      git: { cacheDir: 'cache' },
    });
    const config = parseConfig(text, '/srv/driftless/driftless.yaml', {});
    expect(config.clusters.prod).toEqual({ inCluster: false, kubeconfig: '/srv/driftless/kube/prod.kubeconfig' });
    expect(config.git.cacheDir).toBe('/srv/driftless/cache');
  });

  it('orders permission levels weakest first', () => {
    expect(permissionLevels.indexOf('maintain')).toBeGreaterThan(permissionLevels.indexOf('write'));
    expect(permissionLevels[0]).toBe('read');
    expect(permissionLevels.at(-1)).toBe('admin');
  });
});

describe('parseConfig: errors name the path and what was expected', () => {
  const cases: { name: string; text: string; env?: NodeJS.ProcessEnv; path: string; message: string | RegExp }[] = [
    {
      name: 'missing environment variable',
      text: configYaml({}, { providers: { github: { webhookSecret: '${GITHUB_WEBHOOK_SECRET}' } } }),
      env: {},
      path: 'providers.github.webhookSecret',
      message: 'environment variable GITHUB_WEBHOOK_SECRET is not set',
    },
    {
      name: 'missing environment variable in a list',
      text: configYaml({ allowUsers: ['alice', 'x-${TEAM_LEAD}'] }),
      env: {},
      path: 'targets[0].allowUsers[1]',
      message: 'environment variable TEAM_LEAD is not set',
    },
    {
      name: 'malformed environment reference',
      text: configYaml({ namespace: '${1BAD}' }),
      path: 'targets[0].namespace',
      message: /malformed reference "\$\{1BAD\}": expected \$\{NAME\}/,
    },
    {
      name: 'unknown cluster',
      text: configYaml({ cluster: 'staging' }),
      path: 'targets[0].cluster',
      message: 'unknown cluster "staging"; known clusters: prod, local',
    },
    {
      name: 'unknown cluster with no clusters at all',
      text: dump({ clusters: {}, targets: [{ name: 'a', repo: 'github:a/b', cluster: 'prod', namespace: 'a' }] }),
      path: 'targets[0].cluster',
      message: 'unknown cluster "prod"; no clusters are defined under clusters',
    },
    ...['bitbucket:acme/shop', 'github:acme', 'github:acme/shop/extra', 'gitlab:project', 'acme/shop', 'gitlab:0', 'github:-acme/shop'].map(
      (spec) => ({
        name: `bad repo spec ${spec}`,
        text: configYaml({ repo: spec }),
        path: 'targets[0].repo',
        message: `expected github:owner/name, gitlab:group/project (nested groups allowed) or gitlab:<project id>, got "${spec}"`,
      }),
    ),
    {
      name: 'bad duration',
      text: configYaml({ wait: { timeout: '5 minutes' } }),
      path: 'targets[0].wait.timeout',
      message: 'expected a duration such as 30s, 5m or 1h, got "5 minutes"',
    },
    {
      name: 'duration without a unit',
      text: configYaml({ reconcile: { interval: 300 } }),
      path: 'targets[0].reconcile.interval',
      message: 'expected a duration such as 30s, 5m or 1h',
    },
    {
      name: 'zero duration',
      text: configYaml({ reconcile: { interval: '0s' } }),
      path: 'targets[0].reconcile.interval',
      message: 'must be longer than 0s',
    },
    {
      name: 'duration too long for a timer',
      text: configYaml({ wait: { timeout: '600h' } }),
      path: 'targets[0].wait.timeout',
      message: /must be shorter than 596h/,
    },
    {
      name: 'duplicate target names',
      text: dump({
        clusters: { prod: { inCluster: true } },
        targets: [
          { name: 'shop', repo: 'github:acme/shop', cluster: 'prod', namespace: 'shop' },
          { name: 'other', repo: 'github:acme/other', cluster: 'prod', namespace: 'other' },
          { name: 'shop', repo: 'github:acme/shop2', cluster: 'prod', namespace: 'shop2' },
        ],
      }),
      path: 'targets[2].name',
      message: 'duplicate target name "shop" (also used by targets[0])',
    },
    {
      name: '".." in path',
      text: configYaml({ path: 'deploy/../../etc' }),
      path: 'targets[0].path',
      message: 'must not contain ".." (the path must stay inside the repository)',
    },
    {
      name: 'absolute path',
      text: configYaml({ path: '/deploy' }),
      path: 'targets[0].path',
      message: 'expected a path relative to the repository root, not an absolute path',
    },
    {
      name: 'helm values file outside the repository',
      text: configYaml({ path: 'charts', helm: { valuesFiles: ['../../secrets.yaml'] } }),
      path: 'targets[0].helm.valuesFiles[0]',
      message: 'must stay inside the repository',
    },
    {
      name: 'helm options with render: plain',
      text: configYaml({ render: 'plain', helm: { releaseName: 'shop' } }),
      path: 'targets[0].helm',
      message: 'helm options need render: helm, kustomize (for its helmCharts) or auto, not plain',
    },
    {
      name: 'YAML syntax error',
      text: 'clusters:\n  prod: { inCluster: true }\n targets: []\n',
      path: 'line 3, column 2',
      message: /^invalid YAML: bad indentation of a mapping entry/,
    },
    {
      name: 'unquoted reference in a flow mapping',
      text: 'providers:\n  github: { webhookSecret: ${GITHUB_WEBHOOK_SECRET} }\n',
      path: 'line 2, column 29',
      message: /quote environment references: "\$\{NAME\}"/,
    },
    {
      name: 'duplicate YAML key',
      text: 'clusters: {}\nclusters: {}\n',
      path: 'line 2, column 1',
      message: 'invalid YAML: duplicated mapping key',
    },
    {
      name: 'multiple documents',
      text: `${configYaml()}---\n${configYaml()}`,
      path: '',
      message: 'expected a single YAML document, found 2 (remove the --- separators)',
    },
    { name: 'empty file', text: '# nothing here\n', path: '', message: /^the file is empty/ },
    {
      name: 'list at the top level',
      text: '- clusters: {}\n',
      path: '',
      message: 'expected a mapping with clusters and targets at the top level, got a list',
    },
    { name: 'missing targets', text: 'clusters: {}\n', path: 'targets', message: 'required (a list)' },
    {
      name: 'targets is not a list',
      text: 'clusters: {}\ntargets: { name: shop }\n',
      path: 'targets',
      message: 'expected a list, got a mapping',
    },
    { name: 'no targets', text: 'clusters: {}\ntargets: []\n', path: 'targets', message: 'must have at least 1 entry' },
    {
      name: 'missing namespace',
      text: dump({ clusters: { prod: { inCluster: true } }, targets: [{ name: 'a', repo: 'github:a/b', cluster: 'prod' }] }),
      path: 'targets[0].namespace',
      message: 'required (a string)',
    },
    {
      name: 'missing repo',
      text: dump({ clusters: { prod: { inCluster: true } }, targets: [{ name: 'a', cluster: 'prod', namespace: 'a' }] }),
      path: 'targets[0].repo',
      message: 'required (a string)',
    },
    {
      name: 'repo that is not a string',
      text: configYaml({ repo: 42 }),
      path: 'targets[0].repo',
      message: 'expected github:owner/name, gitlab:group/project (nested groups allowed) or gitlab:<project id>',
    },
    {
      name: 'string where a boolean is expected',
      text: configYaml({ prune: 'yes' }),
      path: 'targets[0].prune',
      message: 'expected true or false, got a string',
    },
    {
      name: 'empty mapping value',
      text: 'clusters:\n  prod:\ntargets: []\n',
      path: 'clusters.prod',
      message: 'expected a mapping, got an empty value',
    },
    { name: 'concurrency too high', text: configYaml({ concurrency: 100 }), path: 'targets[0].concurrency', message: 'must be at most 64' },
    { name: 'fractional concurrency', text: configYaml({ concurrency: 1.5 }), path: 'targets[0].concurrency', message: 'expected an integer, got 1.5' },
    { name: 'unknown adoption policy', text: configYaml({ ownership: { adopt: 'everything' } }), path: 'targets[0].ownership.adopt', message: /annotated.*kubectl-applied.*all/ },
    { name: 'negative prune ratio', text: configYaml({ ownership: { maxPruneRatio: -1 } }), path: 'targets[0].ownership.maxPruneRatio', message: 'must be at least 0' },
    { name: 'a render thread too small to start', text: configYaml({ renderLimits: { maxMemoryMb: 8 } }), path: 'targets[0].renderLimits.maxMemoryMb', message: 'must be at least 32' },
    { name: 'an unknown render limit', text: configYaml({ renderLimits: { maxFiles: 3 } }), path: 'targets[0].renderLimits', message: /^unknown key "maxFiles"; expected keys: maxFileBytes, maxTotalBytes, maxObjects, timeout, maxMemoryMb$/ },
    { name: 'port as text', text: configYaml({}, { server: { port: 'http' } }), path: 'server.port', message: 'expected a number, got a string' },
    { name: 'an unauthenticated-bytes budget smaller than one body', text: configYaml({}, { server: { maxBodyBytes: 2048, maxUnauthenticatedBytes: 1024 } }), path: 'server.maxUnauthenticatedBytes', message: 'must be at least server.maxBodyBytes (2048)' },
    { name: 'an API token too short to guess hard', text: configYaml({}, { server: { apiToken: 'letmein' } }), path: 'server.apiToken', message: 'expected at least 16 characters, e.g. from openssl rand -hex 32' },
    {
      name: 'unknown render mode',
      text: configYaml({ render: 'jsonnet' }),
      path: 'targets[0].render',
      message: 'expected one of auto, plain, kustomize, helm, got "jsonnet"',
    },
    {
      name: 'unknown permission level',
      text: configYaml({ commands: { deploy: 'owner' } }),
      path: 'targets[0].commands.deploy',
      message: 'expected one of read, triage, write, maintain, admin, got "owner"',
    },
    {
      name: 'namespace is not a DNS label',
      text: configYaml({ namespace: 'Shop_Prod' }),
      path: 'targets[0].namespace',
      message: /lowercase letters, digits and "-"/,
    },
    {
      name: 'target name too long',
      text: configYaml({ name: 'a'.repeat(54) }),
      path: 'targets[0].name',
      message: 'must be at most 53 characters long',
    },
    {
      name: 'target name with uppercase',
      text: configYaml({ name: 'Shop' }),
      path: 'targets[0].name',
      message: /^expected a target name of lowercase letters/,
    },
    {
      name: 'misspelled key',
      text: configYaml({ prnue: false }),
      path: 'targets[0]',
      message: /^unknown key "prnue" \(did you mean "prune"\?\)/,
    },
    {
      name: 'unknown top-level key',
      text: configYaml({}, { target: [] }),
      path: '',
      message: /unknown key "target" \(did you mean "targets"\?\); expected keys: providers, clusters, targets/,
    },
    {
      name: 'cluster with neither kubeconfig nor inCluster',
      text: configYaml({}, { clusters: { prod: { context: 'prod' } } }),
      path: 'clusters.prod',
      message: 'expected kubeconfig: <path> (with an optional context) or inCluster: true',
    },
    {
      name: 'cluster with both kubeconfig and inCluster',
      text: configYaml({}, { clusters: { prod: { kubeconfig: '/k', inCluster: true } } }),
      path: 'clusters.prod.inCluster',
      message: 'set either kubeconfig or inCluster: true, not both',
    },
    {
      name: 'allowedNamespaces without the namespace',
      text: configYaml({ allowedNamespaces: ['other'] }),
      path: 'targets[0].allowedNamespaces',
      message: 'must include the target\'s namespace "shop"',
    },
    {
      name: 'bad branch name',
      text: configYaml({ branch: 'feature branch' }),
      path: 'targets[0].branch',
      message: 'expected a branch name such as main or release/1.x',
    },
    {
      name: 'branch written as a ref',
      text: configYaml({ branch: 'refs/heads/main' }),
      path: 'targets[0].branch',
      message: 'expected a branch name without the refs/heads/ prefix',
    },
    {
      name: 'bad API URL',
      text: configYaml({}, { providers: { github: { webhookSecret: 's', apiUrl: 'api.github.com' } } }),
      path: 'providers.github.apiUrl',
      message: 'expected an http(s) URL',
    },
    {
      name: 'empty webhook secret from the environment',
      text: configYaml({}, { providers: { github: { webhookSecret: '${EMPTY}' } } }),
      env: { EMPTY: '' },
      path: 'providers.github.webhookSecret',
      message: 'must not be empty',
    },
    {
      name: 'invalid PORT override',
      text: configYaml(),
      env: { PORT: '80a' },
      path: '$PORT',
      message: 'expected a port number from 0 to 65535, got "80a"',
    },
  ];

  it.each(cases)('$name', ({ text, env, path: problemPath, message }) => {
    const problems = problemsOf(text, env ?? ENV);
    const problem = problems.find((p) => p.path === problemPath);
    expect(problem, `no problem at ${JSON.stringify(problemPath)} in ${JSON.stringify(problems)}`).toBeDefined();
    if (typeof message === 'string') expect(problem?.message).toBe(message);
    else expect(problem?.message).toMatch(message);
  });

  it('reports every problem at once, and the file in the message', () => {
    const text = dump({
      clusters: { prod: { inCluster: true } },
      targets: [
        { name: 'a', repo: 'svn:a', cluster: 'prod', namespace: 'a' },
        { name: 'b', repo: 'github:a/b', cluster: 'prod', namespace: 'b', wait: { timeout: 'soon' } },
      ],
    });
    let error: unknown;
    try {
      parseConfig(text, FILE, {});
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const configError = error as ConfigError;
    expect(configError.permanent).toBe(true);
    expect(configError.file).toBe(FILE);
    expect(configError.problems.map((p) => p.path)).toEqual(['targets[0].repo', 'targets[1].wait.timeout']);
    expect(configError.message).toContain(`${FILE}: invalid configuration`);
    expect(configError.message).toContain('  - targets[1].wait.timeout: expected a duration such as 30s, 5m or 1h, got "soon"');
  });

  it('names every missing variable', () => {
    const text = configYaml({}, { providers: { github: { webhookSecret: '${A}', token: '${B}-${C}-${B}' } } });
    expect(problemsOf(text, {})).toEqual([
      { path: 'providers.github.webhookSecret', message: 'environment variable A is not set' },
      { path: 'providers.github.token', message: 'environment variables B, C are not set' },
    ]);
  });

  it('does not repeat a substituted secret or a Redis password in messages', () => {
    const problems = problemsOf(configYaml({}, { providers: { github: { webhookSecret: 5 } }, redis: { url: 'http://:hunter2@r' } }), {
      REDIS_URL: 'http://:swordfish@r',
    });
    const text = JSON.stringify(problems);
    expect(problems.map((p) => p.path)).toEqual(['providers.github.webhookSecret', 'redis.url']);
    expect(text).not.toContain('hunter2');
    const overridden = problemsOf(configYaml(), { REDIS_URL: 'http://:swordfish@r' });
    expect(overridden).toEqual([{ path: '$REDIS_URL', message: 'expected a redis:// or rediss:// URL' }]);
  });
});

describe('loadConfig', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'driftless-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads the documented example', async () => {
    const config = await loadConfig(path.resolve(import.meta.dirname, '../../examples/driftless.yaml'), ENV);
    expect(config.targets.map((t) => t.name)).toEqual(['shop-prod', 'shop-staging']);
    expect(config.providers.github?.webhookSecret).toBe('gh-hook-secret');
    expect(config.targets[1]?.helm?.valuesFiles).toEqual(['charts/shop/values-staging.yaml']);
    expect(config.redis.url).toBe('redis://127.0.0.1:6379');
  });

  it('reads a file and resolves paths against its directory', async () => {
    const file = path.join(dir, 'driftless.yaml');
    await writeFile(file, configYaml({}, { clusters: { prod: { kubeconfig: './prod.kubeconfig' } } }));
    const config = await loadConfig(file, {});
    expect(config.clusters.prod).toEqual({ inCluster: false, kubeconfig: path.join(dir, 'prod.kubeconfig') });
  });

  it('reports a missing file as a ConfigError', async () => {
    const file = path.join(dir, 'missing.yaml');
    await expect(loadConfig(file, {})).rejects.toThrow(ConfigError);
    await expect(loadConfig(file, {})).rejects.toThrow(/cannot read the file: ENOENT/);
  });
});

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['1.5m', 90_000],
    [' 10s ', 10_000],
  ])('%j is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '5', '5 m', 'm5', '5x', '-5s', '1d', '5m garbage', 'PT5M'])('rejects %j', (text) => {
    expect(() => parseDuration(text)).toThrow(`expected a duration such as 30s, 5m or 1h, got ${JSON.stringify(text)}`);
  });
});

describe('substituteEnv', () => {
  const env = { A: 'alpha', B: 'beta', EMPTY: '' };
  it.each([
    ['plain text', 'plain text'],
    ['${A}', 'alpha'],
    ['pre-${A}-${B}-post', 'pre-alpha-beta-post'],
    ['${MISSING:-fallback}', 'fallback'],
    ['${EMPTY:-fallback}', 'fallback'],
    ['${A:-fallback}', 'alpha'],
    ['${MISSING:-}', ''],
    ['${EMPTY}', ''],
    ['$${A}', '${A}'],
    ['$${A} and ${A}', '${A} and alpha'],
    ['$HOME and $ and a$b and $$', '$HOME and $ and a$b and $$'],
    ['${A:-x:-y}', 'alpha'],
  ])('%j becomes %j', (text, expected) => {
    expect(substituteEnv(text, env)).toBe(expected);
  });

  it.each([
    ['${MISSING}', /^environment variable MISSING is not set$/],
    ['${X} ${Y}', /^environment variables X, Y are not set$/],
    ['${A', /^unterminated reference "\$\{A"/],
    ['${}', /^malformed reference "\$\{\}"/],
    ['${A B}', /^malformed reference "\$\{A B\}"/],
    ['${A:-${B}}', /^malformed reference/],
  ])('%j is an error', (text, message) => {
    expect(() => substituteEnv(text, env)).toThrow(EnvReferenceError);
    expect(() => substituteEnv(text, env)).toThrow(message);
  });

  it('lists the missing variables on the error', () => {
    try {
      substituteEnv('${X}${Y}${X}', {});
      expect.unreachable();
    } catch (err) {
      expect((err as EnvReferenceError).missing).toEqual(['X', 'Y']);
    }
  });
});

describe('formatConfigPath', () => {
  it.each([
    [[], ''],
    [['targets', 0, 'cluster'], 'targets[0].cluster'],
    [['clusters', 'prod.eu', 'kubeconfig'], 'clusters["prod.eu"].kubeconfig'],
    [['commands', 'deploy'], 'commands.deploy'],
  ])('%j is %j', (at, expected) => {
    expect(formatConfigPath(at)).toBe(expected);
  });
});
