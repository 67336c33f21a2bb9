import { chmod, realpath, stat, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderLimitsSchema } from '../../src/config/schema.js';
import { DriftlessError, ManifestError } from '../../src/errors.js';
import { renderManifests } from '../../src/sync/render/index.js';
import { renderKustomize } from '../../src/sync/render/kustomize.js';
import { cm, render, renderError, renderScratch, summary } from '../helpers/render.js';

// kustomize with a real kubectl: test/integration/render-kustomize.test.ts

const scratch = renderScratch();
const { tree } = scratch;

describe('plain render', () => {
  it('reads nested directories, multi-document files, Lists and JSON in file-then-document order', async () => {
    const root = await tree({
      'z.json': JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } }),
      'b.yaml': `${cm('b1')}---\n# only a comment\n---\n${cm('b2', '  namespace: shop\n')}...\n`,
      'a/b.yml': cm('nested'),
      'a.yaml': cm('a'),
      'a/deep/list.yaml': [
        'apiVersion: v1',
        'kind: List',
        'items:',
        '- {apiVersion: v1, kind: Service, metadata: {name: web, namespace: shop}}',
        '- {apiVersion: apps/v1, kind: Deployment, metadata: {name: web, namespace: shop}}',
      ].join('\n'),
      'a/deep/values.yaml': 'replicas: 3\nimage: {tag: latest}\n',
      'a/deep/empty.yaml': '',
      'a/deep/nulls.yaml': '---\n~\n---\n',
      'README.md': '# not yaml: [\n',
      'notes.txt': 'kind: nothing',
      '.github/workflows/ci.yml': 'on: push\njobs: [\n',
      'a/.hidden/broken.yaml': 'apiVersion: v1\nkind: [\n',
      '.gitlab-ci.yml': 'test:\n  script: !reference [.setup, script]\n',
      // kustomize's own files are build input, not cluster objects
      'a/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [b.yml]\n',
    });

    const manifests = await render(root, { mode: 'plain' });

    expect(summary(manifests)).toEqual([
      ['a.yaml', 'ConfigMap/a'],
      ['a/b.yml', 'ConfigMap/nested'],
      ['a/deep/list.yaml', 'Service/shop/web'],
      ['a/deep/list.yaml', 'Deployment/shop/web'],
      ['b.yaml', 'ConfigMap/b1'],
      ['b.yaml', 'ConfigMap/shop/b2'],
      ['z.json', 'Namespace/shop'],
    ]);
  });

  it('gives the same order whatever order the files were written in', async () => {
    const names = ['m.yaml', 'a/z.yaml', 'a/a.yaml', 'b.yaml', 'A.yaml', 'a-b.yaml'];
    const forward = await tree(Object.fromEntries(names.map((n, i) => [n, cm(`o${i}`)])));
    const backward = await tree(Object.fromEntries([...names].reverse().map((n) => [n, cm(`o${names.indexOf(n)}`)])));

    const first = summary(await render(forward));
    expect(summary(await render(backward))).toEqual(first);
    expect(first.map(([source]) => source)).toEqual(['A.yaml', 'a-b.yaml', 'a/a.yaml', 'a/z.yaml', 'b.yaml', 'm.yaml']);
  });

  it('reads scalars the way kubectl does and never shares objects between aliases', async () => {
    const root = await tree({
      'web.yaml': [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata: {name: web, labels: &labels {app: web}}',
        'spec:',
        '  selector: {matchLabels: *labels}',
        '  template:',
        '    spec:',
        '      volumes: [{name: c, configMap: {name: c, defaultMode: 0644}}]',
        '      containers: [{name: web, image: "nginx", env: [{name: AT, value: 12:30}, {name: DAY, value: 2024-01-01}]}]',
      ].join('\n'),
    });

    const [web] = await render(root);
    const object = web!.object as unknown as {
      metadata: { labels: Record<string, string> };
      spec: { selector: { matchLabels: Record<string, string> }; template: { spec: { volumes: { configMap: { defaultMode: number } }[]; containers: { env: { value: unknown }[] }[] } } };
    };
    expect(object.spec.template.spec.volumes[0]!.configMap.defaultMode).toBe(0o644);
    expect(object.spec.template.spec.containers[0]!.env.map((e) => e.value)).toEqual(['12:30', '2024-01-01']);

    object.metadata.labels['applyset.kubernetes.io/part-of'] = 'x';
    expect(object.spec.selector.matchLabels).toEqual({ app: 'web' });
  });

  it('does not count objects in different namespaces or API groups as duplicates', async () => {
    const root = await tree({
      'a.yaml': cm('same', '  namespace: one\n'),
      'b.yaml': cm('same', '  namespace: two\n'),
      'c.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: same, namespace: one}\n',
      'd.yaml': 'apiVersion: example.com/v1\nkind: Deployment\nmetadata: {name: same, namespace: one}\n',
    });
    expect(await render(root)).toHaveLength(4);
  });

  const broken: { name: string; files: Record<string, string>; problems: { subject: string; file: string; message: RegExp }[] }[] = [
    {
      name: 'invalid YAML names the file, line and column',
      files: { 'deploy/web.yaml': `${cm('ok')}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n data: y\n` },
      problems: [{ subject: 'deploy/web.yaml', file: 'deploy/web.yaml', message: /^invalid YAML at line 10, column 2: / }],
    },
    {
      name: 'invalid JSON names the file, line and column',
      files: { 'x.json': '{\n  "apiVersion": "v1",\n  "kind": "ConfigMap"\n  "metadata": {}\n}\n' },
      problems: [{ subject: 'x.json', file: 'x.json', message: /^invalid YAML at line 4, column 3: / }],
    },
    {
      name: 'a missing name',
      files: { 'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {namespace: shop}\n' },
      problems: [{ subject: 'ConfigMap', file: 'cm.yaml', message: /^metadata\.name is missing$/ }],
    },
    {
      name: 'no metadata at all',
      files: { 'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\ndata: {}\n' },
      problems: [{ subject: 'ConfigMap', file: 'cm.yaml', message: /^metadata\.name is missing$/ }],
    },
    {
      name: 'generateName instead of a name',
      files: { 'job.yaml': 'apiVersion: batch/v1\nkind: Job\nmetadata: {generateName: migrate-}\n' },
      problems: [{ subject: 'Job', file: 'job.yaml', message: /generateName is not supported/ }],
    },
    {
      name: 'a name that is not a string',
      files: { 'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: 1234}\n' },
      problems: [{ subject: 'ConfigMap', file: 'cm.yaml', message: /^metadata\.name must be a string, got a number$/ }],
    },
    {
      name: 'a kind without apiVersion, and an apiVersion without kind, per document',
      files: { 'two.yaml': 'kind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nmetadata: {name: b}\n' },
      problems: [
        { subject: 'ConfigMap', file: 'two.yaml', message: /^document 1: apiVersion is missing$/ },
        { subject: 'two.yaml', file: 'two.yaml', message: /^document 2: kind is missing$/ },
      ],
    },
    {
      name: 'a document that is not an object, in a manifest file',
      files: { 'mixed.yaml': `${cm('a')}---\nreplicas: 3\n---\n- a list\n` },
      problems: [
        { subject: 'mixed.yaml', file: 'mixed.yaml', message: /^document 2: not a Kubernetes object/ },
        { subject: 'mixed.yaml', file: 'mixed.yaml', message: /^document 3: expected a Kubernetes object, got a list$/ },
      ],
    },
    {
      name: 'a bad item inside a List',
      files: { 'list.yaml': 'apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: ok}}\n- {apiVersion: v1, kind: Secret}\n' },
      problems: [{ subject: 'Secret', file: 'list.yaml', message: /^item 2: metadata\.name is missing$/ }],
    },
    {
      name: 'duplicates in two files name both files',
      files: { 'a/web.yaml': cm('web', '  namespace: shop\n'), 'b/web.yml': `${cm('web', '  namespace: shop\n')}` },
      problems: [{ subject: 'ConfigMap/shop/web', file: 'b/web.yml', message: /^defined twice: in a\/web\.yaml and in b\/web\.yml$/ }],
    },
    {
      name: 'a duplicate inside one file',
      files: { 'x.yaml': `${cm('dup')}---\n${cm('dup')}` },
      problems: [{ subject: 'ConfigMap/dup', file: 'x.yaml', message: /^defined twice in x\.yaml$/ }],
    },
  ];

  it.each(broken)('rejects $name', async ({ files, problems }) => {
    const error = await renderError(await tree(files));
    expect(error.stage).toBe('render');
    expect(error.permanent).toBe(true);
    expect(error.problems).toHaveLength(problems.length);
    problems.forEach((expected, i) => {
      const actual = error.problems[i]!;
      expect({ subject: actual.subject, file: actual.file }).toEqual({ subject: expected.subject, file: expected.file });
      expect(actual.message).toMatch(expected.message);
    });
  });

  it('collects every problem of every file into one error', async () => {
    const root = await tree({
      'a-bad-yaml.yaml': 'a: [\n',
      'b-no-name.yaml': 'apiVersion: v1\nkind: Secret\n',
      'c-good.yaml': cm('good'),
      'd-dup.yaml': cm('good'),
      'e-generate.yaml': 'apiVersion: v1\nkind: Pod\nmetadata: {generateName: p-}\n',
    });
    const error = await renderError(root);
    expect(error.problems.map((p) => p.file)).toEqual(['a-bad-yaml.yaml', 'b-no-name.yaml', 'd-dup.yaml', 'e-generate.yaml']);
    expect(error.message).toMatch(/^render failed for 4 objects:/);
    for (const problem of error.problems) expect(error.message).toContain(`(${problem.file}): ${problem.message}`);
  });

  it('follows symbolic links that stay inside the checkout', async () => {
    const root = await tree({ 'deploy/app.yaml': cm('app'), 'shared/common.yaml': cm('common'), 'other/extra.yaml': cm('extra') });
    await symlink('../shared', path.join(root, 'deploy/shared'));
    await symlink(path.join(root, 'other/extra.yaml'), path.join(root, 'deploy/extra.yml'));

    expect(summary(await render(root, { path: 'deploy' }))).toEqual([
      ['deploy/app.yaml', 'ConfigMap/app'],
      ['deploy/extra.yml', 'ConfigMap/extra'],
      ['deploy/shared/common.yaml', 'ConfigMap/common'],
    ]);
    // where the linked files really are counts as read: a push that changes only them routes here
    const { read } = await renderManifests({ checkoutDir: root, path: 'deploy', mode: 'auto', kubectl: 'kubectl' });
    expect(read).toEqual(['deploy/app.yaml', 'deploy/extra.yml', 'deploy/shared/common.yaml', 'other/extra.yaml', 'shared/common.yaml']);
    const { read: readOne } = await renderManifests({ checkoutDir: root, path: 'deploy/extra.yml', mode: 'auto', kubectl: 'kubectl' });
    expect(readOne).toEqual(['deploy/extra.yml', 'other/extra.yaml']);
  });

  it('rejects symbolic links that leave the checkout, broken links and loops', async () => {
    const outside = await tree({ 'secret.yaml': cm('stolen'), 'dir/x.yaml': cm('stolen-too') });
    const root = await tree({ 'deploy/app.yaml': cm('app') });
    await symlink(path.join(outside, 'secret.yaml'), path.join(root, 'deploy/evil.yaml'));
    await symlink(path.join(outside, 'dir'), path.join(root, 'deploy/evil-dir'));
    await symlink('../../nowhere.yaml', path.join(root, 'deploy/dangling.yaml'));
    await symlink('.', path.join(root, 'deploy/loop'));
    // never read, so harmless
    await symlink(path.join(outside, 'secret.yaml'), path.join(root, 'deploy/LICENSE'));

    const error = await renderError(root, { path: 'deploy' });
    expect(error.problems).toEqual([
      { subject: 'deploy/dangling.yaml', file: 'deploy/dangling.yaml', message: 'broken symbolic link' },
      { subject: 'deploy/evil-dir', file: 'deploy/evil-dir', message: 'symbolic link points outside the checkout' },
      { subject: 'deploy/evil.yaml', file: 'deploy/evil.yaml', message: 'symbolic link points outside the checkout' },
      { subject: 'deploy/loop', file: 'deploy/loop', message: 'symbolic link loop' },
    ]);
    expect(error.message).not.toContain('stolen');
  });

  it('returns nothing for a directory without manifests', async () => {
    expect(await render(await tree({ 'README.md': 'hi', 'values.yaml': 'a: 1\n' }))).toEqual([]);
  });
});

describe('target path', () => {
  it('renders a single file when the path names one', async () => {
    const root = await tree({ 'deploy/web.yaml': cm('web'), 'deploy/other.yaml': cm('other') });
    expect(summary(await render(root, { path: 'deploy/web.yaml' }))).toEqual([['deploy/web.yaml', 'ConfigMap/web']]);
  });

  it('accepts ./ prefixes and trailing slashes', async () => {
    const root = await tree({ 'deploy/web.yaml': cm('web') });
    expect(summary(await render(root, { path: './deploy/' }))).toEqual([['deploy/web.yaml', 'ConfigMap/web']]);
  });

  const refused: { path: string; link?: boolean; message: RegExp }[] = [
    { path: '../elsewhere', message: /leaves the repository/ },
    { path: 'deploy/../../x', message: /leaves the repository/ },
    { path: '/etc', message: /must be relative/ },
    { path: 'missing', message: /does not exist in this commit/ },
    { path: 'escape', link: true, message: /points outside the checkout/ },
  ];
  it.each(refused)('refuses $path', async ({ path: target, link, message }) => {
    const root = await tree({ 'deploy/web.yaml': cm('web') });
    if (link) await symlink(os.tmpdir(), path.join(root, target));
    const error = await renderError(root, { path: target });
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]!.subject).toBe('path');
    expect(error.problems[0]!.message).toMatch(message);
  });
});

describe('kustomize process', () => {
  /** A stand-in kubectl (a real executable) for what the real one cannot be made to do on demand. */
  async function fakeKubectl(script: string): Promise<string> {
    const dir = await tree({ 'kubectl': `#!/bin/sh\n${script}\n` });
    const file = path.join(dir, 'kubectl');
    await chmod(file, 0o755);
    return file;
  }

  it('runs kubectl in the sandbox environment: an empty HOME, proxies to nowhere, no git protocol, nothing of ours', async () => {
    const kubectl = await fakeKubectl([
      'echo "apiVersion: v1"; echo "kind: ConfigMap"; echo "metadata: {name: env}"; echo "data:"',
      'env | cut -d= -f1 | grep -v "^_$" | grep -v "^PWD$" | grep -v "^SHLVL$" | sort | sed "s/.*/  \\0: set/"',
      'echo "  ARGS: \\"$*\\""',
      'echo "  HOME_FILES: \\"$(ls -A "$HOME" | wc -l)\\""',
      'echo "  HTTPS_PROXY_VALUE: \\"$HTTPS_PROXY\\""',
      'echo "  GIT_ALLOW_PROTOCOL_VALUE: \\"${GIT_ALLOW_PROTOCOL-unset}\\""',
    ].join('\n'));
    const root = await tree({ 'app/kustomization.yaml': 'resources: []\n' });
    process.env.DRIFTLESS_TEST_SECRET = 'hunter2';
    try {
      const [manifest] = await render(root, { path: 'app', kubectl });
      const data = (manifest!.object as unknown as { data: Record<string, string> }).data;
      const proxies = ['ALL_PROXY', 'HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY', 'all_proxy', 'http_proxy', 'https_proxy', 'no_proxy'];
      const git = ['GIT_ALLOW_PROTOCOL', 'GIT_CONFIG_GLOBAL', 'GIT_CONFIG_NOSYSTEM', 'GIT_TERMINAL_PROMPT'];
      const values = ['ARGS', 'GIT_ALLOW_PROTOCOL_VALUE', 'HOME_FILES', 'HTTPS_PROXY_VALUE'];
      expect(Object.keys(data).sort()).toEqual([...git, 'HOME', 'PATH', ...proxies, ...values, 'XDG_CACHE_HOME', 'XDG_CONFIG_HOME'].sort());
      expect(data.ARGS).toBe(`kustomize --load-restrictor LoadRestrictionsRootOnly ${path.join(await realpath(root), 'app')}`);
      expect(data.HOME_FILES).toBe('0');
      expect(data.HTTPS_PROXY_VALUE).toBe('http://127.0.0.1:9');
      expect(data.GIT_ALLOW_PROTOCOL_VALUE).toBe('');
    } finally {
      delete process.env.DRIFTLESS_TEST_SECRET;
    }
  });

  it('validates the built objects like plain files', async () => {
    const kubectl = await fakeKubectl("printf 'apiVersion: v1\\nkind: Pod\\nmetadata: {generateName: p-}\\n---\\napiVersion: v1\\nkind: Pod\\nmetadata: {name: ok}\\n'");
    const root = await tree({ 'app/kustomization.yaml': 'resources: []\n' });
    const error = await renderError(root, { path: 'app', kubectl });
    expect(error.problems).toEqual([
      { subject: 'Pod', file: 'app/kustomization.yaml', message: 'object 1 of the build: metadata.generateName is not supported: set metadata.name' },
    ]);
  });

  it('a kubectl that cannot run is a retryable error, not a manifest failure', async () => {
    const root = await tree({ 'app/kustomization.yaml': 'resources: []\n' });
    const error = await render(root, { path: 'app', kubectl: path.join(root, 'no-such-kubectl') }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(DriftlessError);
    expect(error).not.toBeInstanceOf(ManifestError);
    expect((error as DriftlessError).permanent).toBe(false);
  });

  it('a build that takes too long is killed with everything it started, a permanent failure naming the limit', async () => {
    const marker = path.join(scratch.dir, `grandchild-${Date.now()}`);
    const kubectl = await fakeKubectl(`(sleep 1; touch ${marker}) & exec sleep 5`);
    const root = await tree({ 'app/kustomization.yaml': 'resources: []\n' });
    const started = Date.now();
    const limits = renderLimitsSchema.parse({ timeout: '200ms' });
    const error = await renderKustomize({ root, dir: 'app', file: 'kustomization.yaml', kubectl, limits }).catch((err: unknown) => err);
    expect(Date.now() - started).toBeLessThan(4000);
    expect(error).toBeInstanceOf(ManifestError);
    expect((error as ManifestError).permanent).toBe(true);
    expect((error as ManifestError).problems).toEqual([
      { subject: 'kustomization', file: 'app/kustomization.yaml', message: 'kustomize build took longer than 0.2 s (renderLimits.timeout)' },
    ]);
    // the process group went with it: the background job never wrote its file
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await expect(stat(marker)).rejects.toThrow(/ENOENT/);
  });
});
