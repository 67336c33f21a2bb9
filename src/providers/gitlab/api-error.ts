import { GitbeakerRequestError } from '@gitbeaker/rest';
import { ProviderError } from '../types.js';

/** A GitLab API call that failed; `status` is the HTTP status (0 when there was no answer). */
export class GitLabApiError extends ProviderError {
  constructor(
    status: number,
    readonly method: string,
    readonly endpoint: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('gitlab', status || undefined, `API ${method} ${endpoint} answered ${status || 'nothing'}: ${message}`, options);
  }
}

/** The HTTP status, message and request of a gitbeaker failure, if it was one. */
export function failure(error: unknown): { status: number; description: string; method?: string; endpoint?: string } | undefined {
  if (!(error instanceof GitbeakerRequestError)) return undefined;
  const cause = error.cause as { description?: string; response?: { status?: number }; request?: { method?: string; url?: string } } | undefined;
  let endpoint: string | undefined;
  try {
    // the path only: the token travels in a header, but keep query strings out of messages anyway
    endpoint = cause?.request?.url ? new URL(cause.request.url).pathname.replace(/^.*?\/api\/v4\//, '') : undefined;
  } catch {
    endpoint = undefined;
  }
  return { status: cause?.response?.status ?? 0, description: cause?.description ?? error.message, method: cause?.request?.method, endpoint };
}
