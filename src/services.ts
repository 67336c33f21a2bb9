import type { Server } from 'node:http';
import type { Express } from 'express';
import type { Config } from './config/schema.js';
import { ConfigError } from './errors.js';
import type { Logger } from './log.js';
import { Metrics } from './metrics.js';
import { GenericWebhook } from './providers/generic/webhook.js';
import { GitHubWebhook } from './providers/github/webhook.js';
import { GitLabWebhook } from './providers/gitlab/webhook.js';
import type { WebhookReceiver } from './providers/types.js';
import { createRuntime } from './runtime.js';
import { checkRedis, pingRedis } from './store/redis-check.js';
import { createApp } from './server/app.js';
import { targetInfos } from './store/target-status.js';
import { createDashboard } from './ui/dashboard.js';
import { Intake } from './server/intake.js';

/** A running part of Driftless; `close()` stops it gracefully and is idempotent. */
export interface Service {
  close(): Promise<void>;
}

/** One receiver per provider that has a webhook secret; without any, the web refuses to start. */
export function webhookReceivers(config: Config, file: string): WebhookReceiver[] {
  const receivers: WebhookReceiver[] = [];
  const { github, gitlab, generic } = config.providers;
  if (github) receivers.push(new GitHubWebhook(github.webhookSecret));
  if (gitlab) receivers.push(new GitLabWebhook({ webhookToken: gitlab.webhookToken, signingToken: gitlab.signingToken }));
  if (generic) receivers.push(new GenericWebhook(generic.secret));
  if (receivers.length === 0) {
    throw new ConfigError(file, [
      { path: 'providers', message: 'no webhook secret configured: set providers.github.webhookSecret, providers.gitlab.webhookToken or providers.generic.secret (the service refuses unsigned webhooks)' },
    ]);
  }
  return receivers;
}

async function listen(app: Express, port: number, log: Logger): Promise<Server> {
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(port, () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address();
  log.info({ port: typeof address === 'object' && address ? address.port : port }, 'listening');
  return server;
}

/** The HTTP service: webhooks, /api, the dashboard, /healthz, /readyz, /metrics. Resolves once it listens. */
export async function startWeb(config: Config, file: string, log: Logger, metrics = new Metrics()): Promise<Service & { server: Server }> {
  const receivers = webhookReceivers(config, file);
  const rt = createRuntime(config, log, 'web', metrics);
  metrics.watchTargets(() => targetInfos(rt));
  const intake = new Intake({
    deliveries: rt.deliveries,
    queues: rt.queues,
    revisions: rt.revisions,
    targets: config.targets,
    replicated: rt.replicated,
  });
  const { maxBodyBytes, maxUnauthenticatedBytes, bodyTimeout } = config.server;
  const dashboard = createDashboard(config, rt);
  const app = createApp({
    webhooks: { receivers, intake, maxBodyBytes, maxUnauthenticatedBytes, bodyTimeoutMs: bodyTimeout },
    api: dashboard.api,
    ui: dashboard.ui,
    pingRedis: () => pingRedis(rt.redis),
    metrics,
    log,
  });
  const server = await listen(app, config.server.port, log);
  let closing: Promise<void> | undefined;
  return {
    server,
    close: () =>
      (closing ??= (async () => {
        // the dashboard's event streams never end by themselves
        await dashboard.close();
        if (!(await withDeadline(closeServer(server), config.server.shutdownGracePeriod))) server.closeAllConnections();
        await rt.close();
      })()),
  };
}

/** The workers' modules: git, helm, kustomize, the reconciler, reporting. Imported here only, so the web never loads them. */
const workerModules = () =>
  Promise.all([import('./workers/sync.js'), import('./workers/report.js'), import('./workers/pulls.js'), import('./queue/schedule.js'), import('./sync/render/helm-binary.js')]);

/**
 * Sync and report workers and the reconcile schedule. With `port`, the worker also serves its
 * own /healthz, /readyz and /metrics (a worker-only process has no web to do it).
 */
export async function startWorkers(config: Config, log: Logger, options: { metrics?: Metrics; port?: number } = {}): Promise<Service> {
  const [{ createSyncWorker }, { createReportWorker }, { createPullWorker }, { scheduleReconciles }, { checkHelm }] = await workerModules();
  const metrics = options.metrics ?? new Metrics();
  const rt = createRuntime(config, log, 'worker', metrics);
  try {
    await checkRedis(rt.redis, log);
    // a missing or unsupported helm is a start-up error naming the version needed, not a failed sync later
    if (config.targets.some((t) => t.render === 'helm' || t.helm)) log.info({ helm: await checkHelm(process.env.HELM || 'helm') }, 'helm found');
  } catch (err) {
    await rt.close();
    throw err;
  }
  await scheduleReconciles(config.targets, rt.queues.sync);
  const sync = createSyncWorker(rt);
  const report = createReportWorker(rt);
  const pulls = createPullWorker(rt);
  const server = options.port === undefined ? undefined : await listen(createApp({ pingRedis: () => pingRedis(rt.redis), metrics, log }), options.port, log);
  log.info({ targets: config.targets.map((t) => t.name) }, 'workers started');
  let closing: Promise<void> | undefined;
  return {
    close: () =>
      (closing ??= (async () => {
        if (server) await closeServer(server);
        // finish what runs, within the grace period; then hand running jobs back, unlocked
        const finished = await withDeadline(Promise.all([sync.worker.close(), report.close(), pulls.close()]), config.server.shutdownGracePeriod);
        if (!finished) {
          log.warn({ graceMs: config.server.shutdownGracePeriod }, 'shutdown grace period over: handing running jobs back');
          await sync.handBack();
          await Promise.all([sync.worker.close(true), report.close(true), pulls.close(true)]);
        }
        await rt.close();
      })()),
  };
}

/** Stops accepting connections and waits for in-flight requests; idle keep-alive sockets are closed at once. */
function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  return closed;
}

/** Whether `work` finished before the deadline. */
async function withDeadline(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([work.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
