import { z } from 'zod';
import { notificationEvents } from '../model/notification.js';
import { httpUrl } from './fields.js';

/** One entry of `notifications:`; its `targets` are checked against the target names in schema.ts. */
export const notificationSchema = z.strictObject({
  /** `webhook`: JSON signed with HMAC-SHA256 (X-Driftless-Signature-256); `slack`: an incoming-webhook message. */
  type: z.enum(['webhook', 'slack']),
  url: httpUrl,
  /** HMAC key for `webhook`; required there. */
  secret: z.string().min(1).optional(),
  events: z.array(z.enum(notificationEvents)).min(1).default([...notificationEvents]),
  /** Only these targets; all when absent. */
  targets: z.array(z.string().min(1)).optional(),
}).superRefine((n, ctx) => {
  if (n.type === 'webhook' && !n.secret) ctx.addIssue({ code: 'custom', message: 'a webhook notification needs a secret to sign its body', path: ['secret'] });
});
