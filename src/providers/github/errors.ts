import { ProviderError } from '../types.js';
import { rateLimitRetryAt } from './octokit.js';

/** The HTTP status of an Octokit RequestError (or anything carrying `status`), if any. */
export const statusOf = (err: unknown): number | undefined => (err as { status?: number } | undefined)?.status;

/** GitHub answers an exhausted rate limit with 403 (or 429) and no remaining requests, or a secondary limit with retry-after. */
export function rateLimited(err: unknown): boolean {
  return rateLimitRetryAt(err) !== undefined || /rate limit/i.test(err instanceof Error ? err.message : '');
}

/** A failed call as a ProviderError; a rate limit the throttling plugin did not wait out carries when it lifts. */
export function providerError(err: unknown, what: string): ProviderError {
  if (err instanceof ProviderError) return err;
  return new ProviderError('github', statusOf(err), `${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err, rateLimited: rateLimited(err), retryAt: rateLimitRetryAt(err) });
}
