import { describe, expect, it } from 'vitest';
import { chartPath, helmProblem, parseHelmOutput } from '../../src/sync/render/helm.js';
import { helmVersionProblem, parseHelmVersion } from '../../src/sync/render/helm-binary.js';

// What helm prints, turned into objects with their template files and into problems on the file
// (and template line) helm names. Pure; the real helm runs in test/integration/render-helm.test.ts.

describe('chartPath', () => {
  it.each([
    ['shop/templates/web.yaml', 'deploy/shop', 'deploy/shop/templates/web.yaml'],
    ['shop/charts/db/templates/db.yaml', 'deploy/shop', 'deploy/shop/charts/db/templates/db.yaml'],
    ['shop/crds/widget.yaml', '.', 'crds/widget.yaml'],
    ['other/templates/x.yaml', 'deploy/shop', undefined],
    ['shop/../../etc/passwd', '.', undefined],
  ])('%s in %s is %s', (printed, dir, expected) => {
    expect(chartPath(printed, 'shop', dir)).toBe(expected);
  });
});

describe('parseHelmOutput', () => {
  it('gives every document the template of its # Source line, the chart file when there is none', () => {
    const stdout = ['---', '# Source: shop/templates/a.yaml', 'apiVersion: v1', 'kind: ConfigMap', 'metadata: { name: a }', '---', '# Source: shop/templates/b.yaml', 'apiVersion: v1', 'kind: Secret', 'metadata: { name: b }', '---', 'apiVersion: v1', 'kind: ConfigMap', 'metadata: { name: c }', ''].join('\n');
    const { manifests, problems } = parseHelmOutput(stdout, 'shop', 'charts/shop', 1 << 20);
    expect(problems).toEqual([]);
    expect(manifests.map((m) => [m.object.metadata.name, m.file])).toEqual([
      ['a', 'charts/shop/templates/a.yaml'],
      ['b', 'charts/shop/templates/b.yaml'],
      ['c', 'charts/shop/Chart.yaml'],
    ]);
  });

  it('names the template of an object that is not one', () => {
    const { problems } = parseHelmOutput('---\n# Source: shop/templates/a.yaml\nkind: ConfigMap\n', 'shop', '.', 1 << 20);
    expect(problems).toEqual([{ subject: 'ConfigMap', file: 'templates/a.yaml', message: 'apiVersion is missing' }]);
  });
});

describe('helmProblem', () => {
  const root = '/tmp/checkout-abc';
  it.each([
    [
      'Error: template: shop/templates/web.yaml:12:7: executing "shop/templates/web.yaml" at <.Values.image.tag>: nil pointer evaluating interface {}.tag\n\nUse --debug flag to render out invalid YAML\n',
      { file: 'deploy/templates/web.yaml', line: 12, message: 'template: shop/templates/web.yaml:12:7: executing "shop/templates/web.yaml" at <.Values.image.tag>: nil pointer evaluating interface {}.tag' },
    ],
    [
      'Error: YAML parse error on shop/templates/cm.yaml: error converting YAML to JSON: yaml: line 4: did not find expected key\n',
      { file: 'deploy/templates/cm.yaml', message: 'YAML parse error on shop/templates/cm.yaml: error converting YAML to JSON: yaml: line 4: did not find expected key' },
    ],
    ['Error: chart requires kubeVersion: >=1.99.0 which is incompatible with Kubernetes v1.36.3\n', { file: 'deploy/Chart.yaml', message: 'chart requires kubeVersion: >=1.99.0 which is incompatible with Kubernetes v1.36.3' }],
    [`Error: open ${root}/deploy/values-x.yaml: no such file or directory\n`, { file: 'deploy/Chart.yaml', message: 'open deploy/values-x.yaml: no such file or directory' }],
  ])('%s', (stderr, expected) => {
    const problem = helmProblem(stderr, root, 'shop', 'deploy');
    expect(problem).toEqual({ subject: expected.file, ...expected });
  });
});

describe('helm versions', () => {
  it.each([
    ['v3.21.4', undefined],
    ['v3.8.0', undefined],
    ['v3.7.2', 'Helm v3.7.2 is too old: Driftless needs Helm v3.8.0 or newer, below v4 (tested with v3.21.4)'],
    ['v2.17.0', 'Helm v2.17.0 is too old: Driftless needs Helm v3.8.0 or newer, below v4 (tested with v3.21.4)'],
    ['v4.0.1', 'Helm v4.0.1 is not supported yet: Driftless needs Helm v3.8.0 or newer, below v4 (tested with v3.21.4)'],
  ])('%s', (text, problem) => {
    expect(helmVersionProblem(parseHelmVersion(text)!)).toBe(problem);
  });
});
