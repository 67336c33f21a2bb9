import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import Bottleneck from 'bottleneck';

/**
 * The Octokit every GitHub call goes through: REST methods, pagination, and Octokit's own
 * plugins for what GitHub asks of integrations
 * (https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api):
 * - throttling: one write at a time per client, `writeIntervalMs` apart; a primary rate limit
 *   (403/429 with `x-ratelimit-remaining: 0`) waits until `x-ratelimit-reset`, a secondary one
 *   (403/429 "secondary rate limit") for `retry-after`
 *   (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit);
 * - retry: 5xx answers and dropped connections are retried with a quadratic backoff.
 */
export const GitHubApi = Octokit.plugin(throttling, retry);
export type GitHubApi = InstanceType<typeof GitHubApi>;

/** How the GitHub client spaces, waits and retries. */
export interface GitHubLimits {
  /** Least time between two writes (POST, PATCH, PUT, DELETE) of one client; GitHub recommends 1 s. */
  writeIntervalMs: number;
  /**
   * Longest a rate-limited request waits in-process for its limit to lift; past it the call fails
   * with a ProviderError whose `retryAt` says when to try again (the report worker then delays
   * its job until that time instead of holding a worker).
   */
  maxRateLimitWaitMs: number;
  /** Retries of a 5xx answer or a dropped connection within one call (1 s, 4 s, 9 s, ... apart times `retryBaseMs`). */
  retries: number;
  /** Base of the retry backoff in milliseconds (1000, as plugin-retry's default). */
  retryBaseMs: number;
}

export const defaultLimits: GitHubLimits = { writeIntervalMs: 1000, maxRateLimitWaitMs: 60_000, retries: 2, retryBaseMs: 1000 };

/**
 * Request options of a write whose order matters (a commit status, a check run's state): no
 * retry and no rate-limit wait inside the call. Its report job retries it and claims its
 * lifecycle rank again first, so a post delayed in-process never lands over a newer one.
 */
export const orderedWrite = { request: { retries: 0, waitForRateLimit: false } } as const;

/** Times one request may be retried after a rate limit, whatever the wait. */
const maxRateLimitRetries = 3;

/** Octokit's log: failures become ProviderErrors for the caller to log; some (404 of a non-collaborator) are expected. */
const quietLog = { debug: () => undefined, info: () => undefined, warn: (message: string) => process.emitWarning(message), error: () => undefined };

/** Options of an Octokit: where the API is, how it authenticates, the limits it keeps. */
export interface GitHubApiOptions {
  /** REST base URL without a trailing slash. */
  baseUrl: string;
  /** Static token, or App credentials for `authStrategy`. */
  auth?: unknown;
  authStrategy?: unknown;
  limits: GitHubLimits;
  /** One set of write groups per provider, shared by its installations' clients. */
  writes: WriteGroups;
}

/** Limiters of writes, per throttling id: all writes, and those that notify people (comments). */
export interface WriteGroups {
  write: Bottleneck.Group;
  notifications: Bottleneck.Group;
}

/**
 * Writes `writeIntervalMs` apart, and writes that notify people (comments, reactions) three
 * times that, the ratio plugin-throttling keeps by default (1 s and 3 s).
 */
export function writeGroups(limits: GitHubLimits): WriteGroups {
  return {
    write: new Bottleneck.Group({ maxConcurrent: 1, minTime: limits.writeIntervalMs }),
    notifications: new Bottleneck.Group({ maxConcurrent: 1, minTime: limits.writeIntervalMs * 3 }),
  };
}

/** A new Octokit with the throttling and retry plugins set to `limits`. */
export function createGitHubApi(options: GitHubApiOptions): GitHubApi {
  const { limits } = options;
  // wait in-process for a short limit; a long one fails the call with the time to come back (see rateLimitRetryAt)
  const onLimit = (retryAfter: number, request: { request?: { waitForRateLimit?: boolean } }, _octokit: unknown, retryCount: number): boolean =>
    request.request?.waitForRateLimit !== false && retryCount < maxRateLimitRetries && retryAfter * 1000 <= limits.maxRateLimitWaitMs;
  return new GitHubApi({
    ...(options.authStrategy === undefined ? {} : { authStrategy: options.authStrategy }),
    auth: options.auth,
    baseUrl: options.baseUrl,
    userAgent: 'driftless',
    log: quietLog,
    throttle: { onRateLimit: onLimit, onSecondaryRateLimit: onLimit, ...options.writes },
    // 429 is the throttling plugin's to wait for; everything else 4xx is an answer, not a blip
    retry: { retries: limits.retries, retryAfterBaseValue: limits.retryBaseMs, doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451] },
  } as ConstructorParameters<typeof GitHubApi>[0]);
}

type Headers = Record<string, string | number | undefined>;

/**
 * When a rate-limited answer says the limit lifts, in epoch milliseconds: `retry-after`
 * (seconds) for a secondary limit, `x-ratelimit-reset` (epoch seconds) for an exhausted primary
 * one; undefined when the answer says neither. A secondary limit without `retry-after` waits a
 * minute, as GitHub's docs ask.
 */
export function rateLimitRetryAt(err: unknown, now = Date.now()): number | undefined {
  const e = err as { status?: number; message?: string; response?: { headers?: Headers } } | undefined;
  if (e?.status !== 403 && e?.status !== 429) return undefined;
  const headers = e.response?.headers ?? {};
  const retryAfter = Number(headers['retry-after']);
  if (headers['retry-after'] !== undefined && Number.isFinite(retryAfter)) return now + retryAfter * 1000;
  if (String(headers['x-ratelimit-remaining']) === '0') {
    const reset = Number(headers['x-ratelimit-reset']);
    return Number.isFinite(reset) ? Math.max(reset * 1000 + 1000, now) : now + 60_000;
  }
  if (/secondary rate limit/i.test(e.message ?? '')) return now + 60_000;
  return undefined;
}
