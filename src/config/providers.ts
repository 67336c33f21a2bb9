import { z } from 'zod';
import { duration } from './duration.js';
import { httpUrl } from './fields.js';

const githubSchema = z.strictObject({
  /** Secret GitHub signs deliveries with (X-Hub-Signature-256). */
  webhookSecret: z.string().min(1),
  /** Token for statuses, comments, permissions and deployments; without it nothing is reported. */
  token: z.string().min(1).optional(),
  apiUrl: httpUrl.default('https://api.github.com'),
  /**
   * Least time between two API writes (statuses, checks, deployments); comments three times it.
   * GitHub asks integrations to wait at least a second between writes to avoid its secondary
   * rate limits (https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api).
   */
  writeInterval: duration.prefault('1s'),
  /** Longest a rate-limited call waits in-process; a report whose limit lifts later waits in the queue instead. */
  maxRateLimitWait: duration.prefault('60s'),
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
