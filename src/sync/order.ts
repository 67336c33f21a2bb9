import { groupOf, type GroupKind } from '../kube/keys.js';
import { compareText } from './compare-text.js';

/**
 * The groups of the kind order, in the order apply writes them; prune deletes them in reverse.
 * A batch is written in full before the next one starts (fluxcd/pkg ssa `ApplyAllStaged` applies
 * its definition and class groups the same way); within one, writes start in the order of
 * `compareApplyOrder` and run with bounded concurrency:
 * - `definitions`: what the API server needs before it accepts the rest at all: a Namespace
 *   before the objects in it, a CRD (waited for until Established) before its custom resources.
 * - `classes`: the cluster-wide classes other objects name (a PVC's StorageClass, a Pod's
 *   PriorityClass), so that the objects naming them find them.
 * - `resources`: everything else, custom resources included.
 * - `webhooks`: admission webhooks and policies, so that one never intercepts the objects of the
 *   sync that installs it (its backing Service and Deployment are not running yet).
 */
export const batches = ['definitions', 'classes', 'resources', 'webhooks'] as const;

export type Batch = (typeof batches)[number];

/** One row of the kind order. */
export interface OrderedKind extends GroupKind {
  batch: Batch;
}

const row = (batch: Batch, group: string, ...kinds: string[]): OrderedKind[] => kinds.map((kind) => ({ batch, group, kind }));

/**
 * The kind order: the kinds Driftless knows, batch by batch, in the order apply writes them.
 * Drawn from fluxcd/pkg ssa `sort.go` (`ReconcileOrder`) and Argo CD's gitops-engine
 * `pkg/sync/sync_tasks.go` (`kindOrder`): quotas, limits and network policies before the Pods
 * they govern, identities and RBAC before what runs as them, configuration and Services before
 * the workloads that read or serve them, then what refers to workloads (autoscalers, disruption
 * budgets, Ingresses, APIServices). A kind not listed here (a custom resource, a built-in kind
 * nobody listed) belongs to `resources` and goes after every listed one, as in both sources.
 * Kinds are matched by group and kind, never by kind alone: a custom `Namespace` is not one.
 */
export const kindOrder: readonly OrderedKind[] = [
  ...row('definitions', 'apiextensions.k8s.io', 'CustomResourceDefinition'),
  ...row('definitions', '', 'Namespace'),

  ...row('classes', 'storage.k8s.io', 'StorageClass', 'VolumeAttributesClass'),
  ...row('classes', 'snapshot.storage.k8s.io', 'VolumeSnapshotClass'),
  ...row('classes', 'scheduling.k8s.io', 'PriorityClass'),
  ...row('classes', 'node.k8s.io', 'RuntimeClass'),
  ...row('classes', 'networking.k8s.io', 'IngressClass'),
  ...row('classes', 'gateway.networking.k8s.io', 'GatewayClass'),

  ...row('resources', '', 'ResourceQuota', 'LimitRange'),
  ...row('resources', 'networking.k8s.io', 'NetworkPolicy'),
  ...row('resources', '', 'ServiceAccount'),
  ...row('resources', 'rbac.authorization.k8s.io', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'),
  ...row('resources', '', 'Secret', 'ConfigMap', 'PersistentVolume', 'PersistentVolumeClaim', 'Service'),
  ...row('resources', 'apps', 'DaemonSet'),
  ...row('resources', '', 'Pod', 'ReplicationController'),
  ...row('resources', 'apps', 'ReplicaSet', 'Deployment', 'StatefulSet'),
  ...row('resources', 'batch', 'Job', 'CronJob'),
  ...row('resources', 'autoscaling', 'HorizontalPodAutoscaler'),
  ...row('resources', 'policy', 'PodDisruptionBudget'),
  ...row('resources', 'networking.k8s.io', 'Ingress'),
  ...row('resources', 'apiregistration.k8s.io', 'APIService'),

  ...row(
    'webhooks',
    'admissionregistration.k8s.io',
    'MutatingWebhookConfiguration',
    'ValidatingWebhookConfiguration',
    'MutatingAdmissionPolicy',
    'MutatingAdmissionPolicyBinding',
    'ValidatingAdmissionPolicy',
    'ValidatingAdmissionPolicyBinding',
  ),
];

const rankOf = new Map(kindOrder.map((k, index) => [JSON.stringify([k.group, k.kind]), index]));

/** An object as the kind order reads it. */
export interface Ordered {
  apiVersion: string;
  kind: string;
  metadata: { namespace?: string; name: string };
}

/** Where an object stands: its batch and its row (a kind not listed: after every row). */
function placeOf(object: Ordered): { batch: number; rank: number } {
  const rank = rankOf.get(JSON.stringify([groupOf(object.apiVersion), object.kind]));
  return rank === undefined ? { batch: batches.indexOf('resources'), rank: kindOrder.length } : { batch: batches.indexOf(kindOrder[rank]!.batch), rank };
}

/** The batch an object is written in. */
export function batchOf(object: Ordered): Batch {
  return batches[placeOf(object).batch]!;
}

/**
 * Orders two objects for apply: by batch, by row of the kind order, then by group, kind,
 * namespace and name, so that the order never depends on the order of the files (fluxcd/pkg
 * ssa breaks ties the same way). Negative when `a` comes first.
 */
export function compareApplyOrder(a: Ordered, b: Ordered): number {
  const pa = placeOf(a);
  const pb = placeOf(b);
  return (
    pa.batch - pb.batch ||
    pa.rank - pb.rank ||
    compareText(groupOf(a.apiVersion), groupOf(b.apiVersion)) ||
    compareText(a.kind, b.kind) ||
    compareText(a.metadata.namespace ?? '', b.metadata.namespace ?? '') ||
    compareText(a.metadata.name, b.metadata.name)
  );
}

/** Splits items into the batches of their objects (`objectOf`), each in apply order; every batch is present, maybe empty. */
export function byBatch<T>(items: readonly T[], objectOf: (item: T) => Ordered): Record<Batch, T[]> {
  const sorted = [...items].sort((a, b) => compareApplyOrder(objectOf(a), objectOf(b)));
  const split = Object.fromEntries(batches.map((batch) => [batch, [] as T[]])) as Record<Batch, T[]>;
  for (const item of sorted) split[batchOf(objectOf(item))].push(item);
  return split;
}
