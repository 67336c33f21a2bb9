import { z } from 'zod';
import { httpUrl } from './fields.js';

const githubSchema = z.strictObject({
  /** Secret GitHub signs deliveries with (X-Hub-Signature-256). */
  webhookSecret: z.string().min(1),
  /** Token for statuses, comments, permissions and deployments; without it nothing is reported. */
  token: z.string().min(1).optional(),
  apiUrl: httpUrl.default('https://api.github.com'),
});

const gitlabSchema = z.strictObject({
  /** Compared with X-Gitlab-Token. */
  webhookToken: z.string().min(1),
  /** Signing token for GitLab's webhook signatures (webhook-signature header), when configured. */
  signingToken: z.string().min(1).optional(),
  token: z.string().min(1).optional(),
  url: httpUrl.default('https://gitlab.com'),
});

const genericSchema = z.strictObject({
  /** HMAC-SHA256 key for /webhooks/generic. */
  secret: z.string().min(1),
});

/** `providers:` the webhook secrets and API tokens of each Git host; each one optional. */
export const providersSchema = z.strictObject({
  github: githubSchema.optional(),
  gitlab: gitlabSchema.optional(),
  generic: genericSchema.optional(),
});
