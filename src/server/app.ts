import express, { type Express } from 'express';
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { TargetStatus } from '../store/target-status.js';
import type { WebhookReceiver } from '../providers/types.js';
import type { Intake } from './intake.js';
import { bodyErrorHandler, webhookRouter } from './webhooks.js';

export interface AppOptions {
  /** Answers GET /api/targets (the web has it; a worker's own server does not). */
  status?: () => Promise<TargetStatus[]>;
  /** Webhook receivers and their intake; absent for a worker's own health and metrics server. */
  webhooks?: { receivers: readonly WebhookReceiver[]; intake: Intake; maxBodyBytes: number };
  redis: Redis;
  metrics: Metrics;
  log: Logger;
}

/** The HTTP service: webhooks, health, readiness and metrics. */
export function createApp(options: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.get('/metrics', async (_req, res) => {
    res.type(options.metrics.registry.contentType).send(await options.metrics.registry.metrics());
  });
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
  const { status } = options;
  if (status) {
    app.get('/api/targets', async (_req, res) => {
      try {
        res.json({ targets: await status() });
      } catch (err) {
        res.status(503).json({ error: `Redis: ${err instanceof Error ? err.message : String(err)}` });
      }
    });
  }
  if (options.webhooks) app.use(webhookRouter({ ...options.webhooks, log: options.log, metrics: options.metrics }));
  app.use(bodyErrorHandler(options.log));
  return app;
}
