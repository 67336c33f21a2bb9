import { createHmac } from 'node:crypto';
import type { NotificationConfig } from '../config/schema.js';
import type { Notification, NotificationEvent } from '../model/notification.js';
import { ProviderError } from '../providers/types.js';
import { jobId, type JobQueue, type NotifyJobData, type ReportJobs } from '../queue/jobs.js';

export type { Notification };

const titles: Record<NotificationEvent, string> = {
  deploy_failed: 'Deploy failed',
  rolled_back: 'Deploy failed and was rolled back',
  drift: 'Drift',
};

/** The receivers configured for this event and target. */
export function receiversFor(configs: readonly NotificationConfig[], n: Pick<Notification, 'event' | 'target'>): NotificationConfig[] {
  return configs.filter((c) => c.events.includes(n.event) && (!c.targets || c.targets.includes(n.target)));
}

/** The HTTP request for one receiver: Slack's incoming-webhook text, or the signed JSON. */
export function notificationRequest(config: NotificationConfig, n: Notification): { body: string; headers: Record<string, string> } {
  if (config.type === 'slack') {
    const extra = n.rolledBackTo ? ` (now at \`${n.rolledBackTo.slice(0, 7)}\`)` : '';
    const text = `*${titles[n.event]}*: \`${n.target}\` at \`${n.revision.slice(0, 7)}\`${extra}\n${n.message}`;
    return { body: JSON.stringify({ text }), headers: { 'content-type': 'application/json' } };
  }
  const body = JSON.stringify(n);
  const signature = `sha256=${createHmac('sha256', config.secret ?? '').update(body).digest('hex')}`;
  return { body, headers: { 'content-type': 'application/json', 'x-driftless-event': n.event, 'x-driftless-signature-256': signature } };
}

/** Sends one notification; a 4xx answer will not change on retry, anything else might. */
export async function sendNotification(config: NotificationConfig, n: Notification): Promise<void> {
  const { body, headers } = notificationRequest(config, n);
  const res = await fetch(config.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) }).catch((err: unknown) => {
    throw new ProviderError(config.type, undefined, `notification to ${new URL(config.url).host} failed: ${err instanceof Error ? err.message : String(err)}`);
  });
  if (!res.ok) throw new ProviderError(config.type, res.status, `notification to ${new URL(config.url).host} answered ${res.status}`);
}

/** Queues the notification for every receiver that wants it; each is sent and retried on its own. */
export async function enqueueNotification(queue: JobQueue<ReportJobs>, configs: readonly NotificationConfig[], n: Notification): Promise<void> {
  const receivers = receiversFor(configs, n);
  if (receivers.length === 0) return;
  await queue.addBulk(
    receivers.map((r, i) => {
      const data: NotifyJobData = { receiver: { type: r.type, url: r.url }, notification: n };
      return { name: 'notify' as const, data, opts: { jobId: jobId('notify', n.deliveryId, n.event, String(i)) } };
    }),
  );
}
