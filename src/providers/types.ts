import { DriftlessError } from '../errors.js';
import type { StatusState } from '../queue/jobs.js';
import type { GitCredentials } from '../sync/fetch.js';

/** What every Git host offers Driftless. Nothing outside providers/ talks to a host's API. */
export interface GitProvider {
  readonly name: 'github' | 'gitlab';
  /** Posts a commit status; `repo` is the provider path (`acme/shop`, `group/sub/project`). */
  setStatus(repo: string, status: { sha: string; context: string; state: StatusState; description: string; targetUrl?: string }): Promise<void>;
  /** HTTPS clone URL of a repository. */
  cloneUrl(repo: string): string;
  /** Credentials for cloning over HTTPS, when a token is configured. */
  gitCredentials(): GitCredentials | undefined;
}

/** A push, as every provider's payload turns into it. */
export interface PushEvent {
  kind: 'push';
  provider: 'github' | 'gitlab' | 'generic';
  /** Provider path of the repository, e.g. `acme/shop`. */
  repo: string;
  ref: string;
  before: string;
  after: string;
  /** Files the push touched; undefined when the provider did not list them all. */
  changedPaths?: string[];
  actor: string;
  /** Clone URL from the payload, used when the target sets none. */
  cloneUrl?: string;
  deleted: boolean;
}

/** A webhook delivery after verification: an event to route, or a reason to ignore it. */
export type ReceivedEvent = { kind: 'ignored'; reason: string } | PushEvent;

/** Turns a verified delivery into a neutral event. */
export interface WebhookReceiver {
  readonly provider: 'github' | 'gitlab' | 'generic';
  /** The delivery id the provider repeats on redelivery, for deduplication. */
  deliveryId(headers: Record<string, string | string[] | undefined>): string | undefined;
  /** Checks the signature/token against the raw body; throws WebhookError on mismatch. */
  verify(rawBody: Buffer, headers: Record<string, string | string[] | undefined>): Promise<void>;
  /** Parses a verified payload; throws WebhookError(400) on malformed JSON. */
  normalize(rawBody: Buffer, headers: Record<string, string | string[] | undefined>): ReceivedEvent;
}

/** A delivery rejected before anything was queued; `status` is the HTTP answer. */
export class WebhookError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'WebhookError';
  }
}

/** A Git host's API refused or failed a call; 4xx other than rate limits will not succeed on retry. */
export class ProviderError extends DriftlessError {
  override readonly permanent: boolean;
  constructor(
    readonly provider: string,
    readonly status: number | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${provider}: ${message}`, options);
    this.permanent = status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429;
  }
}
