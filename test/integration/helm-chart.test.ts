import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { configSchema } from '../../src/config/schema.js';
import { KubeClient } from '../../src/kube/client.js';
import { Discovery } from '../../src/kube/discovery.js';
import { recordEvent } from '../../src/kube/events.js';
import { createLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { summarize } from '../../src/sync/changeset.js';
import { applyPlan, planRevision, type SyncSource } from '../../src/sync/pipeline.js';
import { LogCapture } from '../helpers/driftless.js';
import { TestRepo } from '../helpers/git.js';
import { uniqueName } from '../helpers/kube.js';
import { runProcess, type RunOptions } from '../helpers/process.js';

// The Helm chart (helm/driftless): lint, render, schema, and the rendered objects against the
// real API server, then the chart's RBAC exercised by a real sync authenticated as its
// ServiceAccount. Helm is built from the Go module proxy by scripts/helm on first use.

const root = path.resolve(import.meta.dirname, '../..');
const chart = path.join(root, 'helm', 'driftless');
const valueFile = (name: string) => path.join(chart, 'ci', `${name}-values.yaml`);
const valueSets = ['minimal', 'all-options', 'existing-resources', 'ha-redis'] as const;

type KubeDoc = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [k: string]: unknown };
type PodSpec = {
  automountServiceAccountToken?: boolean;
  securityContext?: Record<string, unknown>;
  containers: { name: string; command?: string[]; args?: string[]; env?: { name: string; value?: string }[]; securityContext?: Record<string, unknown>; livenessProbe?: { httpGet?: { path: string; port: string } }; readinessProbe?: { httpGet?: { path: string; port: string } } }[];
  topologySpreadConstraints?: { labelSelector?: { matchLabels?: Record<string, string> } }[];
  volumes?: { name: string; emptyDir?: unknown }[];
};
const podSpec = (d: KubeDoc) => (d.spec as { template: { spec: PodSpec } }).template.spec;

const exec = (file: string, args: readonly string[], options: Omit<RunOptions, 'cwd'> = {}) => runProcess(file, args, { ...options, cwd: root });

let helmBin = '';
let work = '';
let helmEnv: NodeJS.ProcessEnv = {};

const helm = (args: readonly string[]) => exec(helmBin, args, { env: helmEnv });
const kubectl = (args: readonly string[], input?: string) => exec(process.env.KUBECTL ?? 'kubectl', args, { input });

/** `helm template` with the given values files (and overlays written from objects). */
async function render(release: string, namespace: string, values: (string | object)[] = []): Promise<{ text: string; docs: KubeDoc[] }> {
  const args = ['template', release, chart, '--namespace', namespace];
  for (const [i, v] of values.entries()) {
    let file = v as string;
    if (typeof v !== 'string') {
      file = path.join(work, `${release}-overlay-${i}.yaml`);
      await writeFile(file, yaml.dump(v));
    }
    args.push('--values', file);
  }
  const r = await helm(args);
  if (r.code !== 0) throw new Error(`helm template failed:\n${r.stderr}`);
  const docs = (yaml.loadAll(r.stdout) as (KubeDoc | null)[]).filter((d): d is KubeDoc => d !== null);
  return { text: r.stdout, docs };
}

async function ensureNamespaces(names: string[]): Promise<void> {
  const docs = names.map((name) => yaml.dump({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })).join('---\n');
  const r = await kubectl(['apply', '--server-side', '--field-manager', 'driftless-helm-test', '-f', '-'], docs);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'driftless-helm-'));
  // Helm writes nothing for these commands, but keep it away from the user's own config.
  helmEnv = { HELM_CACHE_HOME: path.join(work, 'cache'), HELM_CONFIG_HOME: path.join(work, 'config'), HELM_DATA_HOME: path.join(work, 'data') };
  // The first run on a machine builds Helm from the Go module proxy (a few minutes).
  const built = await exec(path.join(root, 'scripts', 'helm'), ['--path'], { timeoutMs: 20 * 60_000 });
  if (built.code !== 0) throw new Error(`scripts/helm could not build Helm:\n${built.stderr}`);
  helmBin = built.stdout.trim();
}, 20 * 60_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the chart, rendered', () => {
  it('lints clean (--strict) with the minimal values, with every option on, and with existing resources', async () => {
    for (const set of valueSets) {
      const r = await helm(['lint', '--strict', chart, '--values', valueFile(set)]);
      expect(r.code, `${set}: ${r.stdout}${r.stderr}`).toBe(0);
      expect(r.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
      expect(r.stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
    }
  });

  it('refuses the bare defaults, naming each value to set', async () => {
    const r = await helm(['template', 'x', chart]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('The Driftless chart cannot be installed with these values');
    expect(r.stderr).toMatch(/no Redis: set externalRedis\.url .* or redis\.enabled=true/);
    expect(r.stderr).toContain('config.file.targets is empty');
    expect(r.stderr).toContain('config.file references ${GITHUB_WEBHOOK_SECRET}, which nothing sets');
    expect(r.stderr).toContain('secrets.fromSecretKeys.GITHUB_TOKEN');
  });

  it('fails at install time on bad values, with the path of each', async () => {
    const cases: [string[] | object, RegExp][] = [
      [['--set', 'web.replicas=two'], /at '\/web\/replicas': got string, want integer/],
      [['--set', 'rbac.clusterWid=false'], /at '\/rbac': additional properties 'clusterWid' not allowed/],
      [['--set', 'logLevel=loud'], /at '\/logLevel'/],
      [['--set', 'externalRedis.url=http://redis:6379'], /at '\/externalRedis\/url'/],
      [['--set', 'config.file.targets[0].name=Shop_1'], /at '\/config\/file\/targets\/0\/name'/],
      [['--set', 'config.file.targets[0].render=jsonnet'], /at '\/config\/file\/targets\/0\/render'/],
      [['--set', 'config.file.clusterz.a.inCluster=true'], /at '\/config\/file': additional properties 'clusterz' not allowed/],
      [{ config: { file: { targets: [{ name: 'shop', repo: 'github:acme/shop', cluster: 'prod', namespace: 'shop' }] } } }, /config\.file\.targets\[0\]\.cluster: unknown cluster "prod"; defined under config\.file\.clusters: local/],
      [['--set', 'redis.enabled=true'], /two Redis sources/],
      [['--set', 'externalRedis.url=redis://user:pw@redis:6379'], /at '\/externalRedis\/url'/],
      [['--set', 'secrets.existingSecrets=null', '--set', 'secrets.fromSecretKeys.GITHUB_TOKEN.name=gh', '--set', 'secrets.fromSecretKeys.GITHUB_TOKEN.key=token'], /references \$\{GITHUB_WEBHOOK_SECRET\}, which nothing sets/],
      [['--set', 'rbac.clusterWide=false', '--set', 'config.file.clusters.local.inCluster=false', '--set', 'config.file.clusters.local.kubeconfig=/k'], /rbac\.clusterWide=false needs namespaces/],
    ];
    for (const [i, [change, message]] of cases.entries()) {
      let args = change as string[];
      if (!Array.isArray(change)) {
        const file = path.join(work, `bad-${i}.yaml`);
        await writeFile(file, yaml.dump(change));
        args = ['--values', file];
      }
      const r = await helm(['template', 'x', chart, '--values', valueFile('minimal'), ...args]);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
  });

  it('agrees with .env.example on the names of the environment variables', async () => {
    const names = (await readFile(path.join(root, '.env.example'), 'utf8'))
      .split('\n')
      .map((line) => /^([A-Z_][A-Z0-9_]*)=/.exec(line)?.[1])
      .filter((n): n is string => n !== undefined);
    const valuesText = await readFile(path.join(chart, 'values.yaml'), 'utf8');
    const values = yaml.load(valuesText) as { secrets: { values: Record<string, string> }; config: { file: unknown } };
    // the chart sets these itself (port, externalRedis/redis, logLevel), and says so
    const chartSet = ['PORT', 'REDIS_URL', 'LOG_LEVEL'];
    for (const name of chartSet) expect(valuesText).toMatch(new RegExp(`^#\\s+${name}\\s+\\S`, 'm'));
    expect(Object.keys(values.secrets.values).sort()).toEqual(names.filter((n) => !chartSet.includes(n)).sort());
    // every ${NAME} of the default config file is a name of .env.example
    const refs = [...JSON.stringify(values.config.file).matchAll(/\$\{([A-Z_][A-Z0-9_]*)\}/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(names).toContain(ref);
    // the rendered env of the pods: the same names
    const { docs } = await render('names', 'names', [valueFile('minimal'), { secrets: { create: true, values: { GITHUB_WEBHOOK_SECRET: 'a', GITHUB_TOKEN: 'b' } } }]);
    const secret = docs.find((d) => d.kind === 'Secret' && d.metadata.name === 'names-driftless-env') as { stringData: Record<string, string> } | undefined;
    expect(Object.keys(secret?.stringData ?? {}).sort()).toEqual(['GITHUB_TOKEN', 'GITHUB_WEBHOOK_SECRET']);
    const env = podSpec(docs.find((d) => d.kind === 'Deployment')!).containers[0]!.env!.map((e) => e.name);
    expect(env).toEqual(expect.arrayContaining(chartSet));
  });

  it('checks config.file with the keys Driftless knows (values.schema.json follows src/config/schema.ts)', async () => {
    type Props = { properties: Record<string, Props> };
    const schema = JSON.parse(await readFile(path.join(chart, 'values.schema.json'), 'utf8')) as Props;
    const file = schema.properties.config!.properties.file!;
    expect(Object.keys(file.properties).sort()).toEqual(Object.keys(configSchema.shape).sort());
    expect(Object.keys(file.properties.providers!.properties).sort()).toEqual(Object.keys(configSchema.shape.providers.unwrap().shape).sort());
  });

  it('renders a config file that Driftless itself accepts', async () => {
    const env = { GITHUB_WEBHOOK_SECRET: 's', GITHUB_TOKEN: 't', GITLAB_WEBHOOK_TOKEN: 'g', GITLAB_TOKEN: 'h', DRIFTLESS_GENERIC_SECRET: 'x', DRIFTLESS_API_TOKEN: 'an-api-token-of-32-characters-00' };
    for (const set of ['minimal', 'all-options'] as const) {
      const { docs } = await render('cfg', 'cfg', [valueFile(set)]);
      const cm = docs.find((d) => d.kind === 'ConfigMap') as { data: Record<string, string> } | undefined;
      const text = cm?.data['driftless.yaml'] ?? '';
      const config = parseConfig(text, '/etc/driftless/config/driftless.yaml', env);
      expect(config.targets.length, set).toBeGreaterThan(0);
      expect(config.server.apiToken, set).toBe(set === 'all-options' ? env.DRIFTLESS_API_TOKEN : undefined);
      // a missing reference is named by Driftless too, not silently empty
      expect(() => parseConfig(text, 'driftless.yaml', {})).toThrow(/GITHUB_WEBHOOK_SECRET is not set/);
    }
  });

  it('connects to an external HA Redis through Sentinel: the config names the Sentinels, the pods get REDIS_PASSWORD and no REDIS_URL', async () => {
    const { docs } = await render('ha', 'ha', [valueFile('ha-redis')]);
    const text = (docs.find((d) => d.kind === 'ConfigMap') as unknown as { data: Record<string, string> }).data['driftless.yaml']!;
    const config = parseConfig(text, '/etc/driftless/config/driftless.yaml', { REDIS_PASSWORD: 'from-the-secret', GITHUB_WEBHOOK_SECRET: 's', GITHUB_TOKEN: 't' });
    expect(config.redis).toMatchObject({ sentinel: { masterName: 'mymaster', nodes: expect.arrayContaining(['redis-node-0.redis-headless.redis.svc.cluster.local:26379']) }, password: 'from-the-secret', minReplicasToAcknowledge: 1 });
    for (const d of docs.filter((x) => x.kind === 'Deployment')) {
      const env = podSpec(d).containers[0]!.env ?? [];
      expect(env.map((e) => e.name), d.metadata.name).toContain('REDIS_PASSWORD');
      expect(env.map((e) => e.name), d.metadata.name).not.toContain('REDIS_URL');
    }
    const both = await helm(['template', 'ha', chart, '--values', valueFile('ha-redis'), '--set', 'externalRedis.url=redis://r:6379']);
    expect(both.code).not.toBe(0);
    expect(both.stderr).toContain('two Redis sources: config.file.redis.sentinel finds the primary itself');
  });

  it('runs every pod non-root, read-only, without privilege escalation, seccomp RuntimeDefault, with probes and spread', async () => {
    for (const set of valueSets) {
      const { docs } = await render('sec', 'sec', [valueFile(set)]);
      const workloads = docs.filter((d) => d.kind === 'Deployment' || d.kind === 'StatefulSet');
      expect(workloads.map((d) => d.metadata.name).sort(), set).toEqual(set === 'all-options' ? ['sec-driftless-redis', 'sec-driftless-web', 'sec-driftless-worker'] : ['sec-driftless-web', 'sec-driftless-worker']);
      for (const w of workloads) {
        const spec = podSpec(w);
        const where = `${set}: ${w.kind}/${w.metadata.name}`;
        expect(spec.securityContext, where).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
        expect(spec.volumes?.find((v) => v.name === 'tmp')?.emptyDir, where).toBeDefined();
        for (const c of spec.containers) {
          expect(c.securityContext, where).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, privileged: false, capabilities: { drop: ['ALL'] } });
        }
        if (w.kind === 'StatefulSet') {
          // the trial Redis, as BullMQ requires: AOF on, noeviction, a password
          expect(spec.containers[0]!.args!.join(' ')).toMatch(/--appendonly yes .*--maxmemory-policy noeviction .*--requirepass \$\(REDIS_PASSWORD\)/);
          continue;
        }
        const component = w.metadata.labels?.['app.kubernetes.io/component'];
        const c = spec.containers[0]!;
        expect(c.args?.[0], where).toBe(component === 'web' ? 'serve' : 'worker');
        expect(c.livenessProbe?.httpGet, where).toEqual({ path: '/healthz', port: 'http' });
        expect(c.readinessProbe?.httpGet, where).toEqual({ path: '/readyz', port: 'http' });
        // only the workers talk to the API server
        expect(spec.automountServiceAccountToken, where).toBe(component === 'worker');
        for (const t of spec.topologySpreadConstraints ?? []) expect(t.labelSelector?.matchLabels?.['app.kubernetes.io/component'], where).toBe(component);
      }
      if (set !== 'existing-resources') {
        const pdbs = docs.filter((d) => d.kind === 'PodDisruptionBudget').map((d) => d.metadata.name).sort();
        expect(pdbs, set).toEqual(['sec-driftless-web', 'sec-driftless-worker']);
        expect(docs.some((d) => d.kind === 'NetworkPolicy'), set).toBe(true);
      }
    }
  });

  it('starts the web with its Node.js flags through the image\'s own entrypoint, and the worker with the entrypoint unchanged', async () => {
    const entrypoint = JSON.parse(/^ENTRYPOINT (.*)$/m.exec(await readFile(path.join(root, 'Dockerfile'), 'utf8'))![1]!) as string[];
    const node = entrypoint.indexOf('node');
    const { docs } = await render('flags', 'flags', [valueFile('minimal')]);
    const container = (component: string) => podSpec(docs.find((d) => d.kind === 'Deployment' && d.metadata.name === `flags-driftless-${component}`)!).containers[0]!;
    expect(container('web').command).toEqual([...entrypoint.slice(0, node + 1), '--max-semi-space-size=8', '--heap-growing-percent=20', ...entrypoint.slice(node + 1)]);
    expect(container('worker').command).toBeUndefined();
    // each flag is one Node.js accepts
    for (const flag of container('web').command!.slice(node + 1, -1)) expect((await exec(process.execPath, [flag, '-e', '0'])).code, flag).toBe(0);
  });

  it('ships the Grafana dashboard and the alerts only when asked, each querying only metrics Driftless serves', async () => {
    expect((await render('mon', 'mon', [valueFile('minimal')])).docs.filter((d) => d.kind === 'PrometheusRule' || d.metadata.name.endsWith('-dashboard'))).toEqual([]);
    const { docs } = await render('mon', 'mon', [valueFile('all-options')]);
    const rule = docs.find((d) => d.kind === 'PrometheusRule')!;
    const dashboard = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'mon-driftless-dashboard')!;
    expect(dashboard.metadata.labels).toMatchObject({ grafana_dashboard: '1' });
    const board = JSON.parse((dashboard.data as Record<string, string>)['driftless.json']!) as { uid: string; panels: { targets: { expr: string }[] }[] };
    expect(board.uid).toBe('driftless');
    const groups = (rule.spec as { groups: { rules: { alert: string; expr: string; for?: string }[] }[] }).groups;
    const rules = groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).toEqual(['DriftlessSyncFailing', 'DriftlessSyncErroring', 'DriftlessTargetDegraded', 'DriftlessQueueStuck', 'DriftlessDrift']);
    expect(rules.find((r) => r.alert === 'DriftlessQueueStuck')!.expr).toContain('> 900');
    for (const r of rules) expect(r.expr, r.alert).toContain('namespace="mon"');

    // every series a query names is one this version's registry has (histograms: _bucket, _sum, _count)
    const served = new Set<string>();
    for (const m of await new Metrics().registry.getMetricsAsJSON()) {
      served.add(m.name);
      if (String(m.type) === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) served.add(`${m.name}${suffix}`);
    }
    const queried = [...board.panels.flatMap((p) => p.targets.map((t) => t.expr)), ...rules.map((r) => r.expr)].flatMap((e) => e.match(/\b(driftless|process|nodejs)_[a-z0-9_]+/g) ?? []);
    expect(queried.length).toBeGreaterThan(20);
    expect([...new Set(queried)].filter((name) => !served.has(name))).toEqual([]);
  });

  it('builds REDIS_URL from the URL and the password Secret, without putting the password in values', async () => {
    const url = async (values: object) => {
      const { docs } = await render('r', 'r', [valueFile('minimal'), values]);
      const env = podSpec(docs.find((d) => d.kind === 'Deployment')!).containers[0]!.env!;
      return env.find((e) => e.name === 'REDIS_URL')?.value;
    };
    expect(await url({ externalRedis: { url: 'rediss://redis.example.com:6380/2', username: 'driftless' } })).toBe('rediss://driftless:$(REDIS_PASSWORD)@redis.example.com:6380/2');
    expect(await url({ externalRedis: { url: 'redis://redis:6379', passwordSecret: { name: '' } } })).toBe('redis://redis:6379');
    expect(await url({ externalRedis: { url: '' }, redis: { enabled: true } })).toBe('redis://:$(REDIS_PASSWORD)@r-driftless-redis:6379');
  });
});

/** A namespaced monitoring.coreos.com/v1 CRD whose `spec` has exactly the fields the chart may use, and no others. */
const monitoringCrd = (kind: string, plural: string, spec: object) => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${plural}.monitoring.coreos.com` },
  spec: {
    group: 'monitoring.coreos.com',
    scope: 'Namespaced',
    names: { kind, listKind: `${kind}List`, plural, singular: plural.replace(/s$/, '') },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', required: ['spec'], properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, spec } } },
      },
    ],
  },
});

const serviceMonitorCrd = monitoringCrd('ServiceMonitor', 'servicemonitors', {
  type: 'object',
  required: ['selector'],
  properties: {
    jobLabel: { type: 'string' },
    targetLabels: { type: 'array', items: { type: 'string' } },
    podTargetLabels: { type: 'array', items: { type: 'string' } },
    sampleLimit: { type: 'integer' },
    namespaceSelector: { type: 'object', properties: { any: { type: 'boolean' }, matchNames: { type: 'array', items: { type: 'string' } } } },
    selector: {
      type: 'object',
      properties: {
        matchLabels: { type: 'object', additionalProperties: { type: 'string' } },
        matchExpressions: { type: 'array', items: { type: 'object', required: ['key', 'operator'], properties: { key: { type: 'string' }, operator: { type: 'string' }, values: { type: 'array', items: { type: 'string' } } } } },
      },
    },
    endpoints: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          port: { type: 'string' },
          targetPort: { 'x-kubernetes-int-or-string': true },
          path: { type: 'string' },
          scheme: { type: 'string', enum: ['http', 'https'] },
          interval: { type: 'string', pattern: '^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$' },
          scrapeTimeout: { type: 'string', pattern: '^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$' },
          honorLabels: { type: 'boolean' },
          honorTimestamps: { type: 'boolean' },
        },
      },
    },
  },
});

const prometheusRuleCrd = monitoringCrd('PrometheusRule', 'prometheusrules', {
  type: 'object',
  properties: {
    groups: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name'],
        properties: {
          name: { type: 'string', minLength: 1 },
          interval: { type: 'string' },
          rules: {
            type: 'array',
            items: {
              type: 'object',
              required: ['expr'],
              properties: {
                alert: { type: 'string' },
                record: { type: 'string' },
                expr: { 'x-kubernetes-int-or-string': true },
                for: { type: 'string', pattern: '^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$' },
                labels: { type: 'object', additionalProperties: { type: 'string' } },
                annotations: { type: 'object', additionalProperties: { type: 'string' } },
              },
            },
          },
        },
      },
    },
  },
});

describe('the chart against the real API server', () => {
  const created: string[] = [];

  beforeAll(async () => {
    const r = await kubectl(['apply', '--server-side', '--field-manager', 'driftless-helm-test', '-f', '-'], [serviceMonitorCrd, prometheusRuleCrd].map((c) => yaml.dump(c)).join('---\n'));
    expect(r.code, r.stderr).toBe(0);
    const w = await kubectl(['wait', '--for', 'condition=Established', '--timeout', '60s', 'crd/servicemonitors.monitoring.coreos.com', 'crd/prometheusrules.monitoring.coreos.com']);
    expect(w.code, w.stderr).toBe(0);
  });

  // helm install (even --dry-run=client) maps every kind, so the ServiceMonitor CRD must be installed first
  it('tells the webhook URLs and how to set up GitHub and GitLab after the install', async () => {
    const r = await helm(['install', 'notes', chart, '--namespace', 'notes', '--dry-run=client', '--values', valueFile('all-options')]);
    expect(r.code, r.stderr).toBe(0);
    const notes = r.stdout.slice(r.stdout.indexOf('NOTES:'));
    for (const provider of ['github', 'gitlab', 'generic']) expect(notes).toContain(`https://driftless.example.com/webhooks/${provider}`);
    expect(notes).toMatch(/GitHub: .*Settings → Webhooks[\s\S]*Content type: +application\/json[\s\S]*GITHUB_WEBHOOK_SECRET/);
    expect(notes).toMatch(/GitLab: .*Settings → Webhooks[\s\S]*Secret token: +the value of GITLAB_WEBHOOK_TOKEN/);
    expect(notes).toContain('the workers may deploy only to shop, shop-jobs (ApplySet parents also in driftless-inventory)');
    expect(notes).toContain('https://driftless.example.com/api/targets with the header Authorization: Bearer <DRIFTLESS_API_TOKEN>');
    expect(notes).not.toContain('The API is off');
  });

  afterAll(async () => {
    if (created.length) await kubectl(['delete', 'namespace', '--wait=false', '--ignore-not-found', ...created]);
  });

  it('applies every rendered set with a strict server-side dry run: no errors, no unknown fields', async () => {
    for (const set of valueSets) {
      const ns = uniqueName('helm-dry');
      const targets = [uniqueName('helm-shop'), uniqueName('helm-jobs')];
      const inventory = uniqueName('helm-inv');
      created.push(ns, ...targets, inventory);
      await ensureNamespaces([ns, ...targets, inventory]);
      const overlay = set === 'all-options' ? [{ rbac: { namespaces: targets, inventoryNamespaces: [inventory] } }] : [];
      const { text, docs } = await render('dry', ns, [valueFile(set), ...overlay]);
      const r = await kubectl(['apply', '--server-side', '--dry-run=server', '--validate=strict', '--field-manager', 'driftless-helm-test', '-f', '-'], text);
      expect(r.code, `${set}:\n${r.stderr}`).toBe(0);
      expect(r.stderr, set).toBe('');
      expect(r.stdout.trim().split('\n').filter((l) => l.endsWith('(server dry run)'))).toHaveLength(docs.length);
      if (set === 'all-options') {
        const kinds = new Set(docs.map((d) => d.kind));
        for (const kind of ['Deployment', 'StatefulSet', 'Service', 'Ingress', 'ServiceMonitor', 'PrometheusRule', 'NetworkPolicy', 'PodDisruptionBudget', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding', 'ServiceAccount', 'ConfigMap', 'Secret']) {
          expect(kinds, kind).toContain(kind);
        }
      }
    }
  });

  it('rejects an unknown field in a rendered object (the dry run is strict)', async () => {
    const ns = uniqueName('helm-dry');
    created.push(ns);
    await ensureNamespaces([ns]);
    const { docs } = await render('dry', ns, [valueFile('minimal')]);
    const service = docs.find((d) => d.kind === 'Service')!;
    const bad = yaml.dump({ ...service, spec: { ...(service.spec as object), sessionAffinityy: 'None' } });
    const r = await kubectl(['apply', '--server-side', '--dry-run=server', '--validate=strict', '-f', '-'], bad);
    expect(r.code).not.toBe(0);
    // server-side apply reports it as a field the schema does not declare
    expect(r.stderr).toMatch(/\.spec\.sessionAffinityy: field not declared in schema/);
  });

  it('installed with the default RBAC, may apply and prune in every namespace, but not cluster-scoped kinds', async () => {
    const ns = uniqueName('helm-cw');
    const elsewhere = uniqueName('helm-any');
    created.push(ns, elsewhere);
    await ensureNamespaces([ns, elsewhere]);
    const { text, docs } = await render(ns, ns, [valueFile('minimal')]);
    const clusterWide = docs.filter((d) => !d.metadata.namespace).map((d) => `${d.kind.toLowerCase()}.rbac.authorization.k8s.io/${d.metadata.name}`);
    expect(clusterWide).toHaveLength(2);
    try {
      const applied = await kubectl(['apply', '--server-side', '--field-manager', 'helm', '-f', '-'], text);
      expect(applied.code, applied.stderr).toBe(0);
      const sa = docs.find((d) => d.kind === 'ServiceAccount')!.metadata.name;
      const can = async (verb: string, resource: string, namespace: string) =>
        (await kubectl(['auth', 'can-i', verb, resource, '--namespace', namespace, '--as', `system:serviceaccount:${ns}:${sa}`])).stdout.trim();
      for (const [verb, resource] of [['patch', 'deployments.apps'], ['delete', 'configmaps'], ['list', 'secrets'], ['create', 'events']] as const) {
        expect(await can(verb, resource, elsewhere), `${verb} ${resource}`).toBe('yes');
      }
      expect(await can('patch', 'pods', elsewhere)).toBe('no');
      expect(await can('create', 'namespaces', elsewhere)).toBe('no');
      expect(await can('create', 'clusterroles.rbac.authorization.k8s.io', elsewhere)).toBe('no');
    } finally {
      await kubectl(['delete', '--ignore-not-found', ...clusterWide]);
    }
  });

  describe('installed with per-namespace RBAC; a sync as its ServiceAccount', () => {
    const release = uniqueName('helm-rel');
    const allowed = uniqueName('helm-ok');
    const inventory = uniqueName('helm-inv');
    const denied = uniqueName('helm-no');
    let repo: TestRepo;
    let saKubeconfig = '';
    let sa = '';
    let kube: KubeClient;
    const logs = new LogCapture();
    const log = createLogger({ level: 'debug', destination: logs });

    beforeAll(async () => {
      created.push(release, allowed, inventory, denied);
      await ensureNamespaces([release, allowed, inventory, denied]);
      // RBAC from the targets in the values: deploy to `allowed`, inventory in `inventory`
      const { text, docs } = await render('drift', release, [
        valueFile('minimal'),
        { rbac: { clusterWide: false }, config: { file: { targets: [{ name: 'shop', repo: 'github:acme/shop', path: 'deploy', cluster: 'local', namespace: allowed, inventoryNamespace: inventory }] } } },
      ]);
      expect(docs.filter((d) => d.kind === 'Role').map((d) => d.metadata.namespace).sort()).toEqual([allowed, inventory].sort());
      expect(docs.some((d) => d.kind === 'ClusterRole' || d.kind === 'ClusterRoleBinding')).toBe(false);
      // No controllers run here: the Deployments are stored but never become ready; only
      // the objects and the RBAC matter.
      const applied = await kubectl(['apply', '--server-side', '--field-manager', 'helm', '-f', '-'], text);
      expect(applied.code, applied.stderr).toBe(0);
      sa = docs.find((d) => d.kind === 'ServiceAccount')!.metadata.name;

      const token = await kubectl(['create', 'token', sa, '--namespace', release, '--duration', '1h']);
      expect(token.code, token.stderr).toBe(0);
      const admin = yaml.load(await readFile(process.env.KUBECONFIG!, 'utf8')) as { clusters: { cluster: { server: string; 'certificate-authority-data': string } }[] };
      const cluster = admin.clusters[0]!.cluster;
      saKubeconfig = path.join(work, 'sa.kubeconfig');
      await writeFile(
        saKubeconfig,
        yaml.dump({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [{ name: 'test', cluster }],
          users: [{ name: sa, user: { token: token.stdout.trim() } }],
          contexts: [{ name: 'driftless', context: { cluster: 'test', user: sa } }],
          'current-context': 'driftless',
        }),
      );
      kube = KubeClient.fromConnection({ kubeconfig: saKubeconfig });

      repo = await TestRepo.create();
    });

    afterAll(async () => {
      kube?.close();
      await repo?.remove();
    });

    /** The target as Driftless reads it from a config file, its cluster reached with the ServiceAccount's token. */
    function target(name: string, namespace: string, extra: Record<string, unknown> = {}) {
      const config = parseConfig(
        yaml.dump({
          providers: { github: { webhookSecret: 's' } },
          clusters: { local: { kubeconfig: saKubeconfig } },
          targets: [{ name, repo: 'github:acme/shop', cloneUrl: `file://${repo.dir}`, path: 'deploy', cluster: 'local', namespace, wait: { timeout: '20s' }, ...extra }],
        }),
        path.join(work, 'driftless.yaml'),
        {},
      );
      return config.targets[0]!;
    }

    const sync = async (t: ReturnType<typeof target>, sha: string) => {
      const source: SyncSource = { target: t, sha, cloneUrl: t.cloneUrl! };
      const deps = { kube, discovery: new Discovery(kube), cacheDir: path.join(work, 'git'), log };
      const { plan, ctx } = await planRevision(source, deps);
      return applyPlan(plan, ctx, t.wait.timeout, deps);
    };

    const manifests = (namespace?: string): Record<string, string | null> => ({
      'deploy/config.yaml': yaml.dump({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shop-config' }, data: { color: 'green' } }),
      'deploy/secret.yaml': yaml.dump({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'shop-secret' }, stringData: { password: 'hunter2' } }),
      'deploy/service.yaml': yaml.dump({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'shop' }, spec: { selector: { app: 'shop' }, ports: [{ port: 80 }] } }),
      'deploy/elsewhere.yaml': namespace ? yaml.dump({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'spill', namespace }, data: { a: '1' } }) : null,
    });

    const liveNames = async (namespace: string, kinds = 'configmaps,secrets,services') => {
      const r = await kubectl(['get', kinds, '--namespace', namespace, '-l', 'applyset.kubernetes.io/part-of', '-o', 'name']);
      return r.stdout.trim().split('\n').filter(Boolean).sort();
    };

    it('the ServiceAccount may change its namespaces only', async () => {
      const can = async (verb: string, resource: string, namespace: string) =>
        (await kubectl(['auth', 'can-i', verb, resource, '--namespace', namespace, '--as', `system:serviceaccount:${release}:${sa}`])).stdout.trim();
      expect(await can('patch', 'configmaps', allowed)).toBe('yes');
      expect(await can('delete', 'deployments.apps', allowed)).toBe('yes');
      expect(await can('create', 'events', inventory)).toBe('yes');
      expect(await can('get', 'secrets/driftless-shop', inventory)).toBe('yes');
      expect(await can('get', 'secrets/other', inventory)).toBe('no');
      expect(await can('patch', 'configmaps', inventory)).toBe('no');
      expect(await can('patch', 'configmaps', denied)).toBe('no');
      expect(await can('get', 'secrets', release)).toBe('no');
      expect(await can('create', 'namespaces', '')).toBe('no');
    });

    it('deploys to the allowed namespace, then prunes there', async () => {
      const first = await sync(target('shop', allowed, { inventoryNamespace: inventory }), await repo.commit('shop', manifests()));
      expect(summarize(first.changes)).toMatchObject({ created: 3, deleted: 0 });
      expect(await liveNames(allowed)).toEqual(['configmap/shop-config', 'secret/shop-secret', 'service/shop']);
      const parent = await kubectl(['get', 'secret', 'driftless-shop', '--namespace', inventory, '-o', 'jsonpath={.metadata.annotations.applyset\\.kubernetes\\.io/tooling}']);
      expect(parent.stdout).toBe('driftless/v1');

      const second = await sync(target('shop', allowed, { inventoryNamespace: inventory }), await repo.commit('drop the service', { 'deploy/service.yaml': null }));
      expect(summarize(second.changes)).toMatchObject({ created: 0, unchanged: 2, deleted: 1 });
      expect(await liveNames(allowed)).toEqual(['configmap/shop-config', 'secret/shop-secret']);

      // the workers' Kubernetes events about the target go on its ApplySet parent
      await recordEvent(kube, { apiVersion: 'v1', kind: 'Secret', name: 'driftless-shop', namespace: inventory }, { type: 'Normal', reason: 'SyncSucceeded', message: 'deployed' });
      const events = await kubectl(['get', 'events', '--namespace', inventory, '-o', 'jsonpath={.items[*].reason}']);
      expect(events.stdout).toContain('SyncSucceeded');
    });

    it('fails with a clear error for a namespace the RBAC does not grant, and changes nothing', async () => {
      const sha = await repo.head();
      const err = (await sync(target('intruder', denied), sha).catch((e: unknown) => e)) as Error;
      expect(err).toBeInstanceOf(Error);
      // the API server's own words: who, what, which namespace
      expect(err.message).toMatch(new RegExp(`forbidden: User "system:serviceaccount:${release}:${sa}" cannot get resource "secrets" in API group "" in the namespace "${denied}"`));
      expect(await liveNames(denied)).toEqual([]);
    });

    it('refuses a known target whose Git starts writing to a namespace outside its Roles, before any change', async () => {
      const before = await kubectl(['get', 'configmap', 'shop-config', '--namespace', allowed, '-o', 'jsonpath={.metadata.resourceVersion}']);
      const sha = await repo.commit('spill into another namespace', { ...manifests(denied), 'deploy/config.yaml': yaml.dump({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shop-config' }, data: { color: 'blue' } }), 'deploy/service.yaml': null });
      const t = target('shop', allowed, { inventoryNamespace: inventory, allowedNamespaces: [allowed, denied] });
      const err = (await sync(t, sha).catch((e: unknown) => e)) as Error;
      expect(err).toBeInstanceOf(Error);
      // looking for members to prune there is the first request the Roles refuse
      expect(err.message).toMatch(new RegExp(`^plan failed: .*forbidden: User "system:serviceaccount:${release}:${sa}" cannot list resource "(configmaps|secrets|services)" in API group "" in the namespace "${denied}"`));
      const after = await kubectl(['get', 'configmap', 'shop-config', '--namespace', allowed, '-o', 'jsonpath={.metadata.resourceVersion}']);
      expect(after.stdout).toBe(before.stdout);
      expect(await liveNames(denied)).toEqual([]);
    });
  });
});
