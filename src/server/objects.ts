import type { TargetConfig } from '../config/schema.js';
import type { KubeClient } from '../kube/client.js';
import type { Discovery } from '../kube/discovery.js';
import { listObjects } from '../kube/objects.js';
import { healthOf, type HealthStatus } from '../sync/health/index.js';
import { applySetKeys, applySetParent, readInventory } from '../sync/inventory.js';
import { subjectOf } from '../sync/manifest.js';
import { isMember } from '../sync/ownership.js';

/** One object of a target as the cluster has it now, with its health (gitops-engine's statuses). */
export interface TargetObject {
  /** `Kind/namespace/name` or `Kind/name`. */
  subject: string;
  health: HealthStatus;
  message?: string;
}

/** How many objects a target page lists. */
const maxObjects = 500;

/**
 * The target's members as the cluster has them now: its ApplySet's kinds and namespaces from
 * the parent Secret, every object there carrying the set's label that is a member (the rule
 * prune uses), each with the health the wait stage would give it (the target's custom checks
 * included). Read-only; at most 500, by subject.
 */
export async function liveObjects(cluster: { client: KubeClient; discovery: Discovery }, target: TargetConfig): Promise<TargetObject[]> {
  const parent = applySetParent(target.name, target.inventoryNamespace);
  const scope = await readInventory(cluster.client, parent);
  const selector = `${applySetKeys.partOf}=${parent.id}`;
  const found: TargetObject[] = [];
  for (const groupKind of scope.groupKinds) {
    const info = await cluster.discovery.resourceForGroupKind(groupKind);
    if (!info) continue;
    for (const ns of info.namespaced ? [...scope.namespaces] : [undefined]) {
      for (const live of await listObjects(cluster.client, info, ns, selector)) {
        if (!isMember(live, parent.id)) continue;
        const { status, message } = healthOf(live, target.health);
        found.push({ subject: subjectOf(live), health: status, message });
      }
    }
  }
  return found.sort((a, b) => a.subject.localeCompare(b.subject)).slice(0, maxObjects);
}
