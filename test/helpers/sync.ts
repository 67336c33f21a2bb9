import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ownershipSchema, type OwnershipConfig } from '../../src/config/schema.js';
import type { KubeClient } from '../../src/kube/client.js';
import type { Discovery } from '../../src/kube/discovery.js';
import { getObject, type KubeObject } from '../../src/kube/objects.js';
import { apply } from '../../src/sync/apply.js';
import type { Change } from '../../src/sync/changeset.js';
import { applySetParent } from '../../src/sync/inventory.js';
import type { Manifest } from '../../src/sync/manifest.js';
import { plan, type PlanContext } from '../../src/sync/plan.js';
import { prune } from '../../src/sync/prune.js';

/** The plan context of one target, as the pipeline builds it from the config (ownership defaults unless given). */
export function targetContext(client: KubeClient, discovery: Discovery, target: string, namespace: string, options: { allowedNamespaces?: string[]; allowClusterScoped?: boolean; ownership?: Partial<OwnershipConfig> } = {}): PlanContext {
  return {
    client,
    discovery,
    parent: applySetParent(target, namespace),
    policy: {
      namespace,
      allowedNamespaces: options.allowedNamespaces ?? [namespace],
      allowClusterScoped: options.allowClusterScoped ?? false,
      prune: true,
      concurrency: 8,
      ownership: ownershipSchema.parse(options.ownership ?? {}),
    },
  };
}

/** plan → apply → prune, as a sync runs them; the changes by subject. */
export async function syncSet(manifests: readonly Manifest[], ctx: PlanContext): Promise<Record<string, Change>> {
  const planned = await plan(manifests, ctx);
  const changes = [...(await apply(planned, ctx)), ...(await prune(planned, ctx))];
  return Object.fromEntries(changes.map((c) => [c.subject, c]));
}

/** The changes a plan shows, by subject, without writing anything. */
export async function preview(manifests: readonly Manifest[], ctx: PlanContext): Promise<Record<string, Change>> {
  const planned = await plan(manifests, ctx);
  return Object.fromEntries([...planned.objects, ...planned.prunable].map((o) => [o.change.subject, o.change]));
}

/** A manifest of one object from one file. */
export const manifest = (file: string, object: object): Manifest => ({ file, object: object as Manifest['object'] });

export async function liveObject(client: KubeClient, discovery: Discovery, apiVersion: string, kind: string, namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
  return getObject(client, (await discovery.resourceFor(apiVersion, kind))!, namespace, name);
}

/** Field managers of a live object, `manager/Operation` each. */
export const managersOf = (o: KubeObject | undefined): string[] => ((o?.metadata.managedFields ?? []) as { manager: string; operation: string }[]).map((e) => `${e.manager}/${e.operation}`);

/** The test environment's kubectl (same release as the API server), as a person would run it. */
export async function kubectl(args: string[], stdin?: string): Promise<string> {
  const child = promisify(execFile)(process.env.KUBECTL ?? 'kubectl', ['--kubeconfig', process.env.KUBECONFIG!, ...args]);
  if (stdin !== undefined) child.child.stdin!.end(stdin);
  return (await child).stdout;
}
