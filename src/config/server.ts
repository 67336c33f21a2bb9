import { z } from 'zod';
import { duration } from './duration.js';
import { int } from './fields.js';
import { apiTokensSchema } from './ui.js';

/** `server:` the HTTP listener, its webhook body budgets, the /api token and the shutdown grace. */
export const serverSchema = z.strictObject({
  /** HTTP port; the PORT environment variable overrides it. */
  port: int(0, 65535).default(8080),
  /** Webhook bodies larger than this are refused before they are buffered. */
  maxBodyBytes: int(1, Number.MAX_SAFE_INTEGER).default(25 * 1024 * 1024),
  /**
   * Bytes of webhook bodies whose signature is not yet checked that all connections may hold at
   * once; a delivery that does not fit is answered 503 (Retry-After) instead of buffered.
   */
  maxUnauthenticatedBytes: int(1, Number.MAX_SAFE_INTEGER).default(32 * 1024 * 1024),
  /** How long a webhook body may take to arrive; GitHub gives up on a delivery after 10 s. */
  bodyTimeout: duration.prefault('10s'),
  /** A read-only bearer token of /api, kept from before `apiTokens`: the same as an entry of apiTokens named `apiToken` with permission read. */
  apiToken: z.string().min(16, 'expected at least 16 characters, e.g. from openssl rand -hex 32').optional(),
  /** Bearer tokens of /api, stored hashed, each with what it may do (see config/ui.ts). */
  apiTokens: apiTokensSchema.optional(),
  /** On SIGTERM, how long in-flight requests and jobs may take before jobs are handed back; keep it below the pod's terminationGracePeriodSeconds. */
  shutdownGracePeriod: duration.prefault('25s'),
}).superRefine((s, ctx) => {
  // else a delivery of the largest allowed size could never be read
  if (s.maxUnauthenticatedBytes < s.maxBodyBytes) {
    ctx.addIssue({ code: 'custom', message: `must be at least server.maxBodyBytes (${s.maxBodyBytes})`, path: ['maxUnauthenticatedBytes'] });
  }
});
