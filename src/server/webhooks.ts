import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { WebhookError, type WebhookReceiver } from '../providers/types.js';
import type { Intake } from './intake.js';

/** The delivery's result for the metric, from the answer's status code. */
function resultOf(res: Response): string {
  if (res.statusCode === 202) return 'queued';
  if (res.statusCode === 503) return 'unavailable';
  if (res.statusCode >= 400) return 'rejected';
  return (res.locals.result as string | undefined) ?? 'ignored';
}

/** Answers that tell the sender what happened; the body is JSON for people reading delivery logs. */
function answer(res: Response, status: number, body: Record<string, unknown>): void {
  res.status(status).json(body);
}

/**
 * POST /webhooks/<provider>: content type, size cap while reading, signature, dedup, enqueue,
 * 202. No git or Kubernetes work happens here: the sender gives up after ten seconds.
 */
export function webhookRouter(options: { receivers: readonly WebhookReceiver[]; intake: Intake; maxBodyBytes: number; log: Logger; metrics: Metrics }): Router {
  const router = express.Router();
  const rawBody = express.raw({ type: () => true, limit: options.maxBodyBytes });
  for (const receiver of options.receivers) {
    router.post(
      `/webhooks/${receiver.provider}`,
      (req, res, next) => {
        res.once('finish', () => options.metrics.deliveries.inc({ provider: receiver.provider, result: resultOf(res) }));
        if (!req.is('application/json')) return answer(res, 415, { error: 'content type must be application/json (set it in the webhook settings)' });
        if (Number(req.headers['content-length'] ?? 0) > options.maxBodyBytes) {
          // refuse before reading a byte, and drop the connection rather than drain the body
          res.set('connection', 'close');
          return answer(res, 413, { error: 'body exceeds server.maxBodyBytes' });
        }
        next();
      },
      rawBody,
      async (req: Request, res: Response) => {
        const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const deliveryId = receiver.deliveryId(req.headers, body);
        const log = options.log.child({ provider: receiver.provider, deliveryId });
        try {
          await receiver.verify(body, req.headers);
          const event = receiver.normalize(body, req.headers);
          if (event.kind === 'ignored') {
            log.debug({ reason: event.reason }, 'delivery ignored');
            return answer(res, 200, { result: 'ignored', reason: event.reason });
          }
          if (!deliveryId) throw new WebhookError(400, 'missing delivery id header');
          const outcome =
            event.kind === 'push'
              ? await options.intake.acceptPush(deliveryId, event)
              : event.kind === 'pull_request'
                ? await options.intake.acceptPullRequest(deliveryId, event)
                : await options.intake.acceptComment(deliveryId, event);
          log.info({ ...outcome, event: event.kind, repo: event.repo, commit: event.kind === 'push' ? event.after : undefined }, 'delivery accepted');
          if (outcome.outcome === 'duplicate') {
            res.locals.result = 'duplicate';
            return answer(res, 200, { result: 'duplicate' });
          }
          if (outcome.outcome === 'ignored') return answer(res, 200, { result: 'ignored', reason: outcome.reason });
          return answer(res, 202, { result: 'queued', targets: outcome.targets });
        } catch (err) {
          if (err instanceof WebhookError) {
            log.warn({ status: err.status, reason: err.message }, 'delivery rejected');
            return answer(res, err.status, { error: err.message });
          }
          log.error({ err }, 'delivery could not be queued');
          return answer(res, 503, { error: 'could not queue the delivery (Redis unavailable?); the sender may redeliver' });
        }
      },
    );
  }
  return router;
}

/** Body-parser errors (too large, aborted) carry their HTTP status; nothing here is a 500. */
export function bodyErrorHandler(log: Logger) {
  return (err: unknown, _req: Request, res: Response, next: NextFunction): void => {
    const e = err as { status?: number; type?: string; message?: string };
    if (res.headersSent) return next(err);
    if (e.type === 'entity.too.large') return answer(res, 413, { error: 'body exceeds server.maxBodyBytes' });
    const status = e.status && e.status >= 400 && e.status < 500 ? e.status : 500;
    if (status === 500) log.error({ err }, 'unexpected error');
    answer(res, status, { error: status === 500 ? 'internal error' : (e.message ?? 'bad request') });
  };
}
