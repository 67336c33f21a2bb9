import type { Config } from '../config/schema.js';
import type { Runtime } from '../runtime.js';
import { ActionLog } from '../store/actions.js';
import { PreviewIndex } from '../store/previews.js';
import { SessionStore } from '../store/sessions.js';
import { targetStatuses } from '../store/target-status.js';
import type { Router } from 'express';
import type { ActionDeps } from '../server/actions.js';
import type { ApiOptions } from '../server/api.js';
import { oauthProviders } from '../server/auth/oauth.js';
import { cookieSettings } from '../server/auth/principal.js';
import { ApiTokens } from '../server/auth/tokens.js';
import { targetDetail, type DashboardData } from '../server/target-view.js';
import { markup } from './html.js';
import { links } from './links.js';
import { LiveUpdates } from './live.js';
import { fleetRow, targetSummary, timeline } from './pages.js';
import { uiRouter } from './routes.js';

/** The web's /api and /ui, built from the config and the runtime; `close()` ends the live streams. */
export interface Dashboard {
  api: ApiOptions;
  /** /ui and /badge. */
  ui: Router;
  close(): Promise<void>;
}

/** Builds the API's and the dashboard's options: tokens, sessions, sign-in, stores, actions, live updates. */
export function createDashboard(config: Config, rt: Runtime): Dashboard {
  const { prefix } = config.redis;
  const sessions = new SessionStore(rt.redis, prefix);
  const actionLog = new ActionLog(rt.redis, prefix);
  const auth = { tokens: new ApiTokens(config.server.apiTokens, config.server.apiToken), sessions, cookie: cookieSettings(config.dashboard.url) };
  const oauth = oauthProviders(config);
  const targets = config.targets;
  const byName = new Map(targets.map((t) => [t.name, t]));
  const link = links(config);
  const actions: ActionDeps = {
    providers: rt.providers,
    sessions,
    ttlMs: config.dashboard.permissionTtl,
    history: rt.history,
    revisions: rt.revisions,
    holds: rt.holds,
    sync: rt.queues.sync,
    actions: actionLog,
  };
  // the render callback reads `data`, which reads the stages `live` keeps
  const data: DashboardData = {
    config,
    revisions: rt.revisions,
    holds: rt.holds,
    history: rt.history,
    actions: actionLog,
    previews: new PreviewIndex(rt.redis, prefix),
    live: (target) => live.stage(target),
  };
  const live: LiveUpdates = new LiveUpdates({
    // the web's connection times commands out after a second and queues none offline: not for XREAD
    connect: () => rt.redis.duplicate({ maxRetriesPerRequest: null, commandTimeout: undefined, enableOfflineQueue: true }),
    prefix,
    sync: rt.queues.sync,
    report: rt.queues.report,
    log: rt.log,
    async render(name) {
      const target = byName.get(name);
      if (!target) return {};
      const detail = await targetDetail(data, target);
      return {
        [`row-${name}`]: markup(fleetRow(detail, target, link)),
        [`summary-${name}`]: markup(targetSummary(detail, target, link)),
        [`timeline-${name}`]: markup(timeline(detail, target, link)),
      };
    },
  });
  return {
    api: {
      auth,
      signIn: oauth.length > 0,
      origin: config.dashboard.url?.replace(/\/+$/, ''),
      targets,
      status: (visible) => targetStatuses({ ...data, config: { targets: visible } }),
      detail: (target) => targetDetail(data, target),
      actions,
    },
    ui: uiRouter({
      auth,
      sessions,
      oauth,
      sessionTtlMs: config.dashboard.sessionTtl,
      url: config.dashboard.url,
      targets,
      data,
      actions,
      actionLog,
      // the cluster's objects, their health checks and the Kubernetes client load with the first target page that lists them
      objects: async (target) => (await import('../server/objects.js')).liveObjects(rt.cluster(target.cluster), target),
      links: link,
      live,
      publicBadges: new Set(config.dashboard.publicBadges),
      log: rt.log,
    }),
    close: () => live.close(),
  };
}

