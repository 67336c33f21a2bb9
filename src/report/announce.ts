import type { NotificationConfig, TargetConfig } from '../config/schema.js';
import type { KubeClient } from '../kube/client.js';
import { recordEvent, type ObjectEvent } from '../kube/events.js';
import type { Logger } from '../log.js';
import type { JobQueue, ReportJobs } from '../queue/jobs.js';
import { applySetParent } from '../sync/inventory.js';
import { enqueueNotification, type Notification } from './notify.js';

/**
 * Tells the outside world how a sync ended: a Kubernetes Event on the target's ApplySet parent
 * and, for failures, rollbacks and drift, the configured notifications. Neither may fail a sync.
 */
export interface AnnounceDeps {
  /** The target's cluster, where the Event is recorded. */
  kube: KubeClient;
  notifications: readonly NotificationConfig[];
  reports: JobQueue<ReportJobs>;
}

export async function announce(deps: AnnounceDeps, target: TargetConfig, event: ObjectEvent, notification: Omit<Notification, 'target' | 'at'> | undefined, log: Logger): Promise<void> {
  const parent = applySetParent(target.name, target.inventoryNamespace);
  await recordEvent(deps.kube, { apiVersion: 'v1', kind: 'Secret', name: parent.name, namespace: parent.namespace }, event).catch((err: unknown) =>
    log.debug({ err: err instanceof Error ? err.message : String(err) }, 'could not record the Kubernetes event'),
  );
  if (!notification) return;
  await enqueueNotification(deps.reports, deps.notifications, { ...notification, target: target.name, at: new Date().toISOString() }).catch((err: unknown) =>
    log.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not queue notifications'),
  );
}
