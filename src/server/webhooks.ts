import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { inSpan, SpanKind } from '../tracing.js';
import { WebhookError, type WebhookReceiver } from '../providers/types.js';
import { BodyError, readVerifiedBody, UnauthenticatedBudget } from './body.js';
import type { Intake } from './intake.js';

/** The delivery's result for the metric, from the answer's status code. */
function resultOf(res: Response): string {
  if (res.statusCode === 202) return 'queued';
  if (res.statusCode === 503) return (res.locals.result as string | undefined) ?? 'unavailable';
  if (res.statusCode >= 400) return 'rejected';
  return (res.locals.result as string | undefined) ?? 'ignored';
}

/** Answers that tell the sender what happened; the body is JSON for people reading delivery logs. */
function answer(res: Response, status: number, body: Record<string, unknown>): void {
  res.status(status).json(body);
}

/** Options of the webhook routes. */
export interface WebhookOptions {
  receivers: readonly WebhookReceiver[];
  intake: Intake;
  /** Largest body, in bytes (`server.maxBodyBytes`). */
  maxBodyBytes: number;
  /** Bytes of not yet authenticated bodies all connections may hold at once (`server.maxUnauthenticatedBytes`). */
  maxUnauthenticatedBytes: number;
  /** Milliseconds a body may take to arrive (`server.bodyTimeout`). */
  bodyTimeoutMs: number;
}

/** Seconds a sender refused for the unauthenticated-bytes budget, or for a copy of a delivery still being taken in, is asked to wait. */
const retryAfterSeconds = 5;

/**
 * Answers without reading (the rest of) the body, and closes the connection rather than drain
 * it: an unauthenticated sender's bytes are never buffered for nothing.
 */
function refuse(res: Response, status: number, error: string): void {
  res.set('connection', 'close');
  if (status === 503) res.set('retry-after', String(retryAfterSeconds));
  answer(res, status, { error });
}

/**
 * POST /webhooks/<provider>: content type, size cap, the credentials the headers carry, then
 * the body, verified while it is read within the unauthenticated-bytes budget (see
 * readVerifiedBody), dedup, enqueue, 202. No git or Kubernetes work happens here: the sender
 * gives up after ten seconds.
 */
export function webhookRouter(options: WebhookOptions & { log: Logger; metrics: Metrics }): Router {
  const router = express.Router();
  const limits = { maxBytes: options.maxBodyBytes, timeoutMs: options.bodyTimeoutMs, budget: new UnauthenticatedBudget(options.maxUnauthenticatedBytes) };
  for (const receiver of options.receivers) {
    router.post(`/webhooks/${receiver.provider}`, async (req: Request, res: Response) => {
      res.once('finish', () => options.metrics.deliveries.inc({ provider: receiver.provider, result: resultOf(res) }));
      if (!req.is('application/json')) return refuse(res, 415, 'content type must be application/json (set it in the webhook settings)');
      // refuse before reading a byte
      if (Number(req.headers['content-length'] ?? 0) > options.maxBodyBytes) return refuse(res, 413, 'body exceeds server.maxBodyBytes');
      // fields per line rather than child loggers: two children per delivery cost more than the lines
      const { log } = options;
      const provider = receiver.provider;
      let body: Buffer;
      try {
        body = await readVerifiedBody(req, receiver.authenticate(req.headers), limits);
      } catch (err) {
        if (err instanceof BodyError && err.status === 0) return;
        if (!(err instanceof WebhookError || err instanceof BodyError)) throw err;
        log.warn({ provider, status: err.status, reason: err.message }, 'delivery rejected');
        return refuse(res, err.status, err.message);
      }
      const deliveryId = receiver.deliveryId(req.headers, body);
      try {
        const event = receiver.normalize(body, req.headers);
        if (event.kind === 'ignored') {
          log.debug({ provider, deliveryId, reason: event.reason }, 'delivery ignored');
          return answer(res, 200, { result: 'ignored', reason: event.reason });
        }
        if (!deliveryId) throw new WebhookError(400, 'missing delivery id header');
        // the root of the delivery's trace (tracing on): the jobs it queues carry it to the workers
        const attributes = { 'driftless.delivery_id': deliveryId, 'driftless.provider': receiver.provider, 'driftless.repo': event.repo, ...(event.kind === 'push' && { 'driftless.commit': event.after }) };
        const outcome = await inSpan(`webhook ${receiver.provider} ${event.kind}`, { kind: SpanKind.SERVER, attributes }, () =>
          event.kind === 'push'
            ? options.intake.acceptPush(deliveryId, event)
            : event.kind === 'pull_request'
              ? options.intake.acceptPullRequest(deliveryId, event)
              : options.intake.acceptComment(deliveryId, event),
        );
        if (outcome.outcome === 'in-flight') {
          log.warn({ provider, deliveryId, event: event.kind, repo: event.repo }, 'an earlier copy of this delivery is still being taken in: answered 503');
          res.locals.result = 'in-flight';
          res.set('retry-after', String(retryAfterSeconds));
          return answer(res, 503, { error: 'an earlier copy of this delivery is still being taken in; redeliver it in a few seconds' });
        }
        log.info({ provider, deliveryId, ...outcome, event: event.kind, repo: event.repo, commit: event.kind === 'push' ? event.after : undefined }, 'delivery accepted');
        if (outcome.outcome === 'duplicate') {
          res.locals.result = 'duplicate';
          return answer(res, 200, { result: 'duplicate' });
        }
        if (outcome.outcome === 'ignored') return answer(res, 200, { result: 'ignored', reason: outcome.reason });
        return answer(res, 202, { result: 'queued', targets: outcome.targets });
      } catch (err) {
        if (err instanceof WebhookError) {
          log.warn({ provider, deliveryId, status: err.status, reason: err.message }, 'delivery rejected');
          return answer(res, err.status, { error: err.message });
        }
        log.error({ provider, deliveryId, err }, 'delivery could not be queued');
        return answer(res, 503, { error: 'could not queue the delivery (Redis unavailable?); the sender may redeliver' });
      }
    });
  }
  return router;
}

/** Errors that carry an HTTP status (a malformed URL) answer with it; anything else is a logged 500. */
export function bodyErrorHandler(log: Logger) {
  return (err: unknown, _req: Request, res: Response, next: NextFunction): void => {
    const e = err as { status?: number; message?: string };
    if (res.headersSent) return next(err);
    const status = e.status && e.status >= 400 && e.status < 500 ? e.status : 500;
    if (status === 500) log.error({ err }, 'unexpected error');
    answer(res, status, { error: status === 500 ? 'internal error' : (e.message ?? 'bad request') });
  };
}
