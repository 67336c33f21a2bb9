import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManifestError } from '../../src/errors.js';
import type { Manifest } from '../../src/sync/manifest.js';
import { renderManifests } from '../../src/sync/render/index.js';
import { runSandboxed } from '../../src/sync/render/sandbox.js';
import { stopServer } from '../helpers/recording-server.js';
import { writeTree } from '../helpers/files.js';

/**
 * The render sandbox against a real kubectl kustomize and a real HTTP server that records every
 * request (issue 13, items 2 and 3). A repository names internal URLs, cloud metadata, git
 * remotes, files outside the checkout, plugins: the server must receive nothing, and the render
 * fails for good naming the kustomization.
 */

const KUBECTL = process.env.KUBECTL ?? 'kubectl';

/** An HTTP server on every interface that answers any GET with a ConfigMap and remembers it was asked. */
class Bait {
  readonly requests: string[] = [];
  private constructor(readonly server: http.Server) {}

  static async start(): Promise<Bait> {
    const server = http.createServer();
    const bait = new Bait(server);
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      bait.requests.push(`${req.method} ${req.url}`);
      res.end('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-internal\ndata:\n  secret: INTERNAL-ONLY\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
    return bait;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    return stopServer(this.server);
  }
}

/** An IPv4 address of this machine that is not loopback: Go's HTTP client proxies requests to it. */
const outsideAddress = Object.values(os.networkInterfaces())
  .flat()
  .find((address) => address && address.family === 'IPv4' && !address.internal)?.address;

let scratch: string;
let bait: Bait;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'driftless-sandbox-'));
  bait = await Bait.start();
});
afterAll(async () => {
  await bait.close();
  await rm(scratch, { recursive: true, force: true });
});

let counter = 0;
/** Writes `files` (path → content) into a fresh directory and returns it. */
const tree = (files: Record<string, string>): Promise<string> => writeTree(path.join(scratch, `repo-${++counter}`), files);

async function render(root: string, dir = 'app'): Promise<Manifest[]> {
  return (await renderManifests({ checkoutDir: root, path: dir, mode: 'auto', kubectl: KUBECTL })).manifests;
}

async function refused(root: string, dir = 'app'): Promise<ManifestError> {
  const error = await render(root, dir).then(() => undefined, (err: unknown) => err);
  expect(error).toBeInstanceOf(ManifestError);
  expect((error as ManifestError).permanent).toBe(true);
  return error as ManifestError;
}

const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;

describe('kustomize may not reach the network', () => {
  const url = (host: string, file: string) => `http://${host}:${bait?.port}/${file}`;
  const cases: { name: string; kustomization: () => string; message: RegExp }[] = [
    { name: 'a remote resource on an internal port (the repro)', kustomization: () => `resources:\n  - ${url('127.0.0.1', 'anything.yaml')}\n`, message: /^resources: ".*" is remote; remote resources and bases are off/ },
    { name: 'cloud metadata without a scheme', kustomization: () => 'resources: [169.254.169.254/latest/meta-data/iam]\n', message: /is not in this commit, and remote resources and bases are off/ },
    { name: 'a git base over http', kustomization: () => `resources: [${url('127.0.0.1', 'repo.git')}//deploy?ref=main]\n`, message: /is remote/ },
    { name: 'a GitHub shorthand base', kustomization: () => 'resources: [github.com/kubernetes-sigs/kustomize//examples/helloWorld?ref=v1.0.6]\n', message: /is remote/ },
    { name: 'an scp-style git component', kustomization: () => 'components: ["git@github.com:org/repo.git//component"]\n', message: /is remote/ },
    { name: 'a remote patch', kustomization: () => `resources: [cm.yaml]\npatches:\n  - path: ${url('127.0.0.1', 'patch.yaml')}\n`, message: /^patches\.path: ".*" is remote/ },
    { name: 'a remote generator file', kustomization: () => `configMapGenerator:\n  - name: x\n    files: [key=${url('127.0.0.1', 'file')}]\n`, message: /^configMapGenerator\.files: ".*" is remote/ },
    { name: 'a remote openapi schema', kustomization: () => `resources: [cm.yaml]\nopenapi:\n  path: ${url('127.0.0.1', 'schema.json')}\n`, message: /^openapi\.path: ".*" is remote/ },
    { name: 'a remote replacement', kustomization: () => `resources: [cm.yaml]\nreplacements:\n  - path: ${url('127.0.0.1', 'r.yaml')}\n`, message: /^replacements\.path: ".*" is remote/ },
  ];

  it.each(cases)('refuses $name before kustomize runs; the server hears nothing', async ({ kustomization, message }) => {
    const root = await tree({ 'app/kustomization.yaml': kustomization(), 'app/cm.yaml': cm('local') });
    const error = await refused(root);
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatchObject({ subject: 'kustomization', file: 'app/kustomization.yaml' });
    expect(error.problems[0]!.message).toMatch(message);
    expect(bait.requests).toEqual([]);
  });

  it('refuses a remote resource in a local base, naming the base', async () => {
    const root = await tree({
      'app/kustomization.yaml': 'resources: [../base]\n',
      'base/kustomization.yaml': `resources: [cm.yaml, ${url('127.0.0.1', 'x.yaml')}]\n`,
      'base/cm.yaml': cm('base'),
    });
    const error = await refused(root);
    expect(error.problems).toEqual([{ subject: 'kustomization', file: 'base/kustomization.yaml', message: expect.stringMatching(/is remote/) }]);
    expect(bait.requests).toEqual([]);
  });

  describe('and if a kustomization got past the check, the sandbox still keeps kustomize off the network', () => {
    /** kubectl kustomize on `dir`, with the sandbox's environment or (control) with this process's. */
    async function kustomize(dir: string, sandboxed: boolean): Promise<string> {
      if (sandboxed) {
        const result = await runSandboxed(KUBECTL, ['kustomize', dir], { cwd: dir, timeoutMs: 20_000, maxOutputBytes: 1024 * 1024 });
        return result.outcome === 'exited' ? `${result.code} ${result.stderr}` : result.outcome;
      }
      return new Promise((resolve) => execFile(KUBECTL, ['kustomize', dir], { env: { PATH: process.env.PATH, HOME: os.tmpdir() } }, (err, stdout, stderr) => resolve(`${err ? 1 : 0} ${stdout}${stderr}`)));
    }

    it.skipIf(!outsideAddress)('an HTTP resource on a non-loopback address: the control run fetches it, the sandboxed run does not', async () => {
      const dir = await tree({ 'kustomization.yaml': `resources: [${url(outsideAddress!, 'direct.yaml')}]\n` });
      const control = await kustomize(dir, false);
      expect(control).toContain('INTERNAL-ONLY');
      expect(bait.requests).toEqual(['GET /direct.yaml']);
      bait.requests.length = 0;

      const sandboxed = await kustomize(dir, true);
      expect(sandboxed).not.toContain('INTERNAL-ONLY');
      expect(bait.requests).toEqual([]);
    });

    it.skipIf(!outsideAddress)('a git remote base: git may use no protocol at all', async () => {
      const dir = await tree({ 'kustomization.yaml': `resources: [${url(outsideAddress!, 'repo.git')}//deploy?ref=main]\n` });
      const sandboxed = await kustomize(dir, true);
      expect(sandboxed).not.toMatch(/^0 /);
      expect(bait.requests).toEqual([]);
    });
  });
});

describe('kustomize reads only the checkout', () => {
  const cases: { name: string; files: Record<string, string>; link?: [string, string]; message: RegExp }[] = [
    { name: 'a base outside the checkout', files: { 'app/kustomization.yaml': 'resources: [../../../../../../etc]\n' }, message: /leaves the checkout/ },
    { name: 'an absolute path', files: { 'app/kustomization.yaml': 'resources: [/etc/passwd]\n' }, message: /is an absolute path/ },
    { name: "the worker's environment as an env file", files: { 'app/kustomization.yaml': 'configMapGenerator:\n  - name: env\n    envs: [/proc/self/environ]\n' }, message: /is an absolute path/ },
    { name: 'the environment through climbing paths', files: { 'app/kustomization.yaml': 'secretGenerator:\n  - name: env\n    env: ../../../../../../../../proc/self/environ\n' }, message: /leaves the checkout/ },
    { name: 'a symbolic link to a directory outside', files: { 'app/kustomization.yaml': 'resources: [outside]\n' }, link: ['app/outside', os.tmpdir()], message: /symbolic link to a file not in or below the checkout/ },
    { name: 'an exec or container plugin', files: { 'app/kustomization.yaml': 'generators: [gen.yaml]\n', 'app/gen.yaml': 'apiVersion: x/v1\nkind: Gen\nmetadata: {name: g, annotations: {config.kubernetes.io/function: "exec: {path: /bin/sh}"}}\n' }, message: /^generators: plugins are off/ },
    { name: 'transformers', files: { 'app/kustomization.yaml': 'transformers: [t.yaml]\n', 'app/t.yaml': cm('t') }, message: /^transformers: plugins are off/ },
    { name: 'a helm chart', files: { 'app/kustomization.yaml': 'helmCharts:\n  - name: x\n    repo: https://charts.example.com\n' }, message: /^helmCharts: helm charts are not inflated inside kustomize/ },
    { name: 'a field the check does not know', files: { 'app/kustomization.yaml': 'resources: [cm.yaml]\nfetchFrom: somewhere\n', 'app/cm.yaml': cm('x') }, message: /^fetchFrom: not a field the render sandbox knows/ },
  ];

  it.each(cases)('refuses $name', async ({ files, link, message }) => {
    const root = await tree(files);
    if (link) await symlink(link[1], path.join(root, link[0]));
    const error = await refused(root);
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatchObject({ subject: 'kustomization', file: 'app/kustomization.yaml' });
    expect(error.problems[0]!.message).toMatch(message);
    expect(error.message).not.toMatch(/PATH=|HOME=|root:x:0/);
  });

  it('refuses an alias bomb in a resource before kustomize expands it', async () => {
    const bomb = `${cm('bomb')}data:\n${['  a0: &a0 [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `  a${i + 1}: &a${i + 1} [${Array(10).fill(`*a${i}`).join(', ')}]`)].join('\n')}\n`;
    const root = await tree({ 'app/kustomization.yaml': 'resources: [bomb.yaml]\n', 'app/bomb.yaml': bomb });
    const started = performance.now();
    const error = await refused(root);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(error.problems).toEqual([{ subject: 'kustomization', file: 'app/bomb.yaml', message: 'YAML aliases expand this file to more than 4 MiB (renderLimits.maxFileBytes)' }]);
  });

  it('still builds what a kustomization may name: bases, components, patches, generator files and env files, replacements, crds, openapi', async () => {
    const root = await tree({
      'base/kustomization.yaml': 'resources: [web.yaml]\n',
      'base/web.yaml': cm('web'),
      'components/label/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nlabels:\n  - pairs: {component: label}\n',
      'app/kustomization.yaml': [
        'resources: [../base, extra.yaml]',
        'components: [../components/label]',
        'patches:',
        '  - path: patch.yaml',
        `  - patch: '[{"op": "add", "path": "/data/inline", "value": "1"}]'`,
        '    target: {kind: ConfigMap, name: extra}',
        'patchesStrategicMerge:',
        '  - |-',
        '    apiVersion: v1',
        '    kind: ConfigMap',
        '    metadata: {name: web}',
        '    data: {strategic: "1"}',
        'configMapGenerator:',
        '  - name: settings',
        '    files: [conf=settings.conf]',
        '    envs: [settings.env]',
        'replacements:',
        '  - path: replacement.yaml',
        'crds: [crd.json]',
        'openapi:',
        '  path: schema.json',
      ].join('\n'),
      'app/extra.yaml': `${cm('extra')}data: {a: one}\n`,
      'app/patch.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\ndata: {patched: "1"}\n',
      'app/settings.conf': 'key = value\n',
      'app/settings.env': 'MODE=production\n',
      'app/replacement.yaml': 'source: {kind: ConfigMap, name: extra, fieldPath: data.a}\ntargets:\n  - select: {kind: ConfigMap, name: web}\n    fieldPaths: [data.copied]\n    options: {create: true}\n',
      'app/crd.json': '{}\n',
      'app/schema.json': JSON.stringify({ definitions: {} }),
    });
    const manifests = await render(root);
    const byName = Object.fromEntries(manifests.map((m) => [m.object.metadata.name.replace(/-[a-z0-9]{10}$/, ''), m.object as Manifest['object'] & { data?: Record<string, string> }]));
    expect(Object.keys(byName).sort()).toEqual(['extra', 'settings', 'web']);
    expect(byName.extra!.data).toEqual({ a: 'one', inline: '1', patched: '1' });
    expect(byName.web!.data).toEqual({ strategic: '1', copied: 'one' });
    expect(byName.settings!.data).toEqual({ conf: 'key = value\n', MODE: 'production' });
    expect(byName.web!.metadata.labels).toEqual({ component: 'label' });
    expect(bait.requests).toEqual([]);
  });
});
