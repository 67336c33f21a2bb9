import express, { type Express } from 'express';
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import type { WebhookReceiver } from '../providers/types.js';
import type { Intake } from './intake.js';
import { bodyErrorHandler, webhookRouter } from './webhooks.js';

export interface AppOptions {
  receivers: readonly WebhookReceiver[];
  intake: Intake;
  redis: Redis;
  maxBodyBytes: number;
  log: Logger;
}

/** The HTTP service: webhooks, health and readiness. */
export function createApp(options: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await options.redis.ping();
      res.json({ status: 'ready' });
    } catch (err) {
      res.status(503).json({ status: 'not ready', reason: `Redis: ${err instanceof Error ? err.message : String(err)}` });
    }
  });
  app.use(webhookRouter(options));
  app.use(bodyErrorHandler(options.log));
  return app;
}
