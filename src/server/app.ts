import express, { type Express, type Router } from 'express';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { apiRouter, type ApiOptions } from './api.js';
import { bodyErrorHandler, webhookRouter, type WebhookOptions } from './webhooks.js';

export interface AppOptions {
  /** The authenticated /api (the web has it; a worker's own server does not). */
  api?: ApiOptions;
  /** The dashboard under /ui and the badges (the web has it; a worker's own server does not). */
  ui?: Router;
  /** Webhook receivers, their intake and limits; absent for a worker's own health and metrics server. */
  webhooks?: WebhookOptions;
  /** Resolves when Redis answers; /readyz fails with its error otherwise. */
  pingRedis: () => Promise<unknown>;
  metrics: Metrics;
  log: Logger;
}

/** The HTTP service: webhooks, the API, the dashboard, health, readiness and metrics. */
export function createApp(options: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // req.protocol follows X-Forwarded-Proto only from a proxy on the same host or network (the ingress)
  app.set('trust proxy', 'loopback, linklocal, uniquelocal');
  // first, so a delivery passes no other route or middleware on its way
  if (options.webhooks) app.use(webhookRouter({ ...options.webhooks, log: options.log, metrics: options.metrics }));
  app.get('/metrics', async (_req, res) => {
    res.type(options.metrics.registry.contentType).send(await options.metrics.registry.metrics());
  });
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await options.pingRedis();
      res.json({ status: 'ready' });
    } catch (err) {
      res.status(503).json({ status: 'not ready', reason: `Redis: ${err instanceof Error ? err.message : String(err)}` });
    }
  });
  if (options.api) app.use(apiRouter(options.api));
  if (options.ui) app.use(options.ui);
  app.use(bodyErrorHandler(options.log));
  return app;
}
