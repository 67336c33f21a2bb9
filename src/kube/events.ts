import { hostname } from 'node:os';
import type { KubeClient } from './client.js';

/** A Kubernetes Event about one object, as `kubectl describe` and event exporters show it. */
export interface ObjectEvent {
  type: 'Normal' | 'Warning';
  /** UpperCamelCase, e.g. SyncSucceeded. */
  reason: string;
  message: string;
}

/** Records a core/v1 Event on an object (for Driftless: a target's ApplySet parent Secret). */
export async function recordEvent(client: KubeClient, object: { apiVersion: string; kind: string; name: string; namespace: string }, event: ObjectEvent): Promise<void> {
  const now = new Date().toISOString();
  await client.request('POST', `/api/v1/namespaces/${encodeURIComponent(object.namespace)}/events`, {
    body: {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: `${object.name}.`, namespace: object.namespace },
      involvedObject: object,
      type: event.type,
      reason: event.reason,
      message: event.message.slice(0, 1024),
      source: { component: 'driftless' },
      reportingComponent: 'driftless',
      reportingInstance: hostname(),
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    },
  });
}
