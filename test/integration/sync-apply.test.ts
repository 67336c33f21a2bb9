import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManifestError } from '../../src/errors.js';
import { listObjects, type KubeObject } from '../../src/kube/objects.js';
import { apply } from '../../src/sync/apply.js';
import { summarize } from '../../src/sync/changeset.js';
import { applySetKeys, applySetParent } from '../../src/sync/inventory.js';
import type { Manifest } from '../../src/sync/manifest.js';
import { plan, type PlanContext } from '../../src/sync/plan.js';
import { prune } from '../../src/sync/prune.js';
import { createNamespace, testKube, uniqueName } from '../helpers/kube.js';
import { ownershipSchema } from '../../src/config/schema.js';

const run = promisify(execFile);
const { client, discovery } = testKube();
afterAll(() => client.close());

const cm = (name: string, data: Record<string, string>, namespace?: string): Manifest => ({
  file: `deploy/${name}.yaml`,
  object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(namespace ? { namespace } : {}) }, data } as Manifest['object'],
});
const deployment = (name: string, image: string, extra: object = {}): Manifest => ({
  file: `deploy/${name}-deployment.yaml`,
  object: {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image }] } } },
    ...extra,
  } as Manifest['object'],
});

async function sync(manifests: Manifest[], ctx: PlanContext) {
  const p = await plan(manifests, ctx);
  const applied = await apply(p, ctx);
  const pruned = await prune(p, ctx);
  return { plan: p, changes: [...applied, ...pruned] };
}

async function resourceVersions(namespace: string): Promise<Record<string, string | undefined>> {
  const out: Record<string, string | undefined> = {};
  for (const [apiVersion, kind] of [['v1', 'ConfigMap'], ['apps/v1', 'Deployment'], ['v1', 'Secret']] as const) {
    const info = (await discovery.resourceFor(apiVersion, kind))!;
    for (const o of await listObjects(client, info, namespace, '')) {
      out[`${kind}/${o.metadata.name}`] = o.metadata.resourceVersion as string;
      out[`${kind}/${o.metadata.name}@generation`] = String(o.metadata.generation);
    }
  }
  return out;
}

describe('plan, apply and prune against the real API server', () => {
  let namespace: string;
  let ctx: PlanContext;
  beforeAll(async () => {
    namespace = uniqueName('apply');
    await createNamespace(client, namespace);
    ctx = {
      client,
      discovery,
      parent: applySetParent(namespace, namespace),
      policy: { namespace, allowedNamespaces: [namespace], allowClusterScoped: false, prune: true, concurrency: 8, ownership: ownershipSchema.parse({}) },
    };
  });

  it('creates objects, then finds nothing to change and writes nothing', async () => {
    const set = [cm('a', { x: '1' }), cm('b', { y: '2' }), deployment('web', 'nginx:1.27')];
    const first = await sync(set, ctx);
    expect(summarize(first.changes)).toMatchObject({ created: 3, configured: 0, deleted: 0 });
    const before = await resourceVersions(namespace);

    const second = await sync(set, ctx);
    expect(summarize(second.changes)).toMatchObject({ created: 0, configured: 0, unchanged: 3, deleted: 0 });
    const after = await resourceVersions(namespace);
    expect(after['ConfigMap/a']).toBe(before['ConfigMap/a']);
    // a deployment controller, when one runs, writes status: the spec's generation is what we own
    expect(after['Deployment/web@generation']).toBe(before['Deployment/web@generation']);
  });

  it('configures what changed and prunes what Git no longer holds', async () => {
    const result = await sync([cm('a', { x: '2' }), deployment('web', 'nginx:1.27')], ctx);
    const bySubject = Object.fromEntries(result.changes.map((c) => [c.subject, c]));
    expect(bySubject[`ConfigMap/${namespace}/a`]?.action).toBe('configured');
    expect(bySubject[`ConfigMap/${namespace}/a`]?.diff).toMatch(/-\s+x: '1'[\s\S]*\+\s+x: '2'/);
    expect(bySubject[`ConfigMap/${namespace}/b`]?.action).toBe('deleted');
    expect(bySubject[`Deployment/${namespace}/web`]?.action).toBe('unchanged');
    expect(Object.keys(await resourceVersions(namespace))).not.toContain('ConfigMap/b');
  });

  it('masks Secret values in diffs', async () => {
    const secret = (v: string): Manifest => ({ file: 'deploy/secret.yaml', object: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds' }, stringData: { password: v, user: 'admin' } } as Manifest['object'] });
    const base = [cm('a', { x: '2' }), deployment('web', 'nginx:1.27')];
    const created = await sync([...base, secret('hunter2')], ctx);
    const updated = await sync([...base, secret('correct-horse')], ctx);
    const diffs = [...created.changes, ...updated.changes].map((c) => c.diff ?? '').join('\n');
    expect(diffs).toContain('Secret');
    expect(diffs).not.toMatch(/hunter2|correct-horse|aHVudGVyMg|Y29ycmVjdC1ob3JzZQ|YWRtaW4/);
    expect(updated.changes.find((c) => c.subject.startsWith('Secret/'))?.action).toBe('configured');
  });

  it('refuses the whole set when one object is invalid, listing every bad object with its file', async () => {
    const before = await resourceVersions(namespace);
    const invalid = deployment('broken', 'nginx', { spec: { replicas: 1, selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'y' } }, spec: { containers: [] } } } });
    const forbidden = cm('elsewhere', { a: '1' }, 'kube-system');
    const unknown: Manifest = { file: 'deploy/widget.yaml', object: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } } as Manifest['object'] };
    for (const bad of [[invalid], [forbidden], [unknown]]) {
      const err = await plan([cm('a', { x: '3' }), cm('new', { n: '1' }), ...bad], ctx).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ManifestError);
      const problems = (err as ManifestError).problems;
      expect(problems).toHaveLength(1);
      expect(problems[0]!.file).toBe(bad[0]!.file);
    }
    const err = (await plan([invalid, forbidden, unknown], ctx).catch((e: unknown) => e)) as ManifestError;
    expect(err.message).toMatch(/Deployment\/.*\/broken \(deploy\/broken-deployment.yaml\)/);
    expect(err.message).toMatch(/namespace kube-system is not allowed/);
    expect(err.message).toMatch(/unknown kind Widget/);
    const after = await resourceVersions(namespace);
    for (const key of Object.keys(before).filter((k) => k.startsWith('ConfigMap/') || k.endsWith('@generation'))) expect(after[key]).toBe(before[key]);
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
  });

  it('applies a CRD and its custom resources in one sync', async () => {
    const group = `${uniqueName('g')}.driftless.test`;
    const crd: Manifest = {
      file: 'deploy/crd.yaml',
      object: {
        apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: `gadgets.${group}` },
        spec: { group, scope: 'Namespaced', names: { kind: 'Gadget', plural: 'gadgets' }, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] },
      } as unknown as Manifest['object'],
    };
    const gadget: Manifest = { file: 'deploy/gadget.yaml', object: { apiVersion: `${group}/v1`, kind: 'Gadget', metadata: { name: 'g1' }, spec: { size: 1 } } as Manifest['object'] };
    const crdCtx = { ...ctx, policy: { ...ctx.policy, allowClusterScoped: true } };
    const result = await sync([cm('a', { x: '2' }), deployment('web', 'nginx:1.27'), crd, gadget], crdCtx);
    expect(result.changes.find((c) => c.subject.startsWith('Gadget/'))?.action).toBe('created');
    const info = await discovery.resourceFor(`${group}/v1`, 'Gadget');
    const [live] = await listObjects(client, info!, namespace, `${applySetKeys.partOf}=${ctx.parent.id}`);
    expect((live as KubeObject).spec).toEqual({ size: 1 });
  });

  it('writes an ApplySet parent that kubectl recognises', async () => {
    const kubectl = process.env.KUBECTL ?? 'kubectl';
    const dir = await mkdtemp(path.join(os.tmpdir(), 'applyset-'));
    const file = path.join(dir, 'cm.yaml');
    await writeFile(file, yaml.dump(cm('a', { x: '2' }, namespace).object));
    const attempt = await run(kubectl, ['apply', '--server-side', '--prune', `--applyset=secret/${ctx.parent.name}`, '-n', namespace, '-f', file], {
      env: { ...process.env, KUBECTL_APPLYSET: 'true' },
    }).catch((e: { stderr: string }) => e);
    // kubectl reads our parent's labels and tooling annotation and refuses to take over a set another tool manages
    expect((attempt as { stderr: string }).stderr).toMatch(/driftless/);
  });
});
