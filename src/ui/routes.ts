import { createRequire } from 'node:module';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { TargetConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { TargetObject } from '../server/objects.js';
import type { ActionLog } from '../store/actions.js';
import type { SessionStore } from '../store/sessions.js';
import { actionNames, runAction, type ActionDeps, type ActionName } from '../server/actions.js';
import { OAuthError, pkce, type OAuthProvider } from '../server/auth/oauth.js';
import { visibleTargets } from '../server/auth/permissions.js';
import { authenticate, csrfProblem, principalOf, sessionCookie, type AuthenticateOptions, type Principal } from '../server/auth/principal.js';
import { badgeSvg } from './badge.js';
import { fleetRows, targetDetail, type DashboardData } from '../server/target-view.js';
import type { Viewer } from './html.js';
import type { Links } from './links.js';
import type { LiveUpdates } from './live.js';
import { errorPage, fleetPage, loginPage, targetPage, type FleetFilter } from './pages.js';
import { stylesheet } from './style.js';

/** Options of the dashboard's routes: /ui, its sign-in, its events, and /badge. */
export interface UiOptions {
  auth: AuthenticateOptions;
  sessions: Pick<SessionStore, 'create' | 'destroy' | 'beginSignIn' | 'finishSignIn'>;
  oauth: OAuthProvider[];
  sessionTtlMs: number;
  /** `dashboard.url`: the origin OAuth redirects return to; the request's own when unset. */
  url?: string;
  targets: readonly TargetConfig[];
  data: DashboardData;
  actions: ActionDeps;
  actionLog: Pick<ActionLog, 'list'>;
  /** The target's objects as its cluster has them now, with their health. */
  objects: (target: TargetConfig) => Promise<TargetObject[]>;
  links: Links;
  live: Pick<LiveUpdates, 'listen' | 'changed'>;
  /** Targets whose badge anyone may fetch. */
  publicBadges: ReadonlySet<string>;
  log: Logger;
}

const require = createRequire(import.meta.url);
/** htmx and its SSE extension, from the installed packages: nothing comes from a CDN. */
const scripts: Record<string, string> = {
  'htmx.min.js': require.resolve('htmx.org/dist/htmx.min.js'),
  'sse.js': require.resolve('htmx-ext-sse/dist/sse.min.js'),
};

/** A path under /ui to come back to after signing in; anything else (another host, `//x`) is the fleet. */
const safeReturn = (value: unknown) => (typeof value === 'string' && /^\/ui(?:[/?][\w\-./?=&%~]*)?$/.test(value) && !value.includes('//') ? value : '/ui');

const viewerOf = (p: Extract<Principal, { kind: 'session' }>): Viewer => ({ login: p.session.login, provider: p.session.provider, csrf: p.session.csrf });

/** How long a target page waits for its cluster's objects before it shows the rest without them. */
const objectsTimeoutMs = 5_000;

/** The objects, or why there are none to show: the cluster's error, or its silence past `ms`. */
async function objectsWithin(work: Promise<TargetObject[]>, ms: number): Promise<TargetObject[] | { error: string }> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<{ error: string }>((resolve) => (timer = setTimeout(() => resolve({ error: `the cluster did not answer within ${ms / 1000} s` }), ms)));
  try {
    return await Promise.race([work.catch((err: unknown) => ({ error: `the cluster did not answer: ${err instanceof Error ? err.message : String(err)}` })), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Pages answer in HTML; nothing the dashboard shows is cached by the browser or a proxy. */
function htmlPage(res: Response, status: number, body: string): void {
  res.status(status).set({ 'cache-control': 'no-store', 'content-type': 'text/html; charset=utf-8' }).send(body);
}

/**
 * The dashboard: the fleet (`/ui`), a target (`/ui/targets/<t>`), its actions (form posts with
 * the session's CSRF token, answered with a redirect back), the live events (`/ui/events`),
 * GitHub and GitLab sign-in (`/ui/login`, `/ui/auth/<host>`, its callback, `/ui/logout`) and the
 * badges (`/badge/<target>.svg`). Pages need a session; a person sees the targets whose
 * repository they have any permission on.
 */
export function uiRouter(options: UiOptions): Router {
  const router = express.Router();
  const { cookie } = options.auth;
  const stateCookie = cookie.secure ? '__Host-driftless_oauth' : 'driftless_oauth';
  const cookieOptions = { httpOnly: true, secure: cookie.secure, sameSite: 'lax' as const, path: '/' };
  const origin = (req: Request) => (options.url ?? `${req.protocol}://${req.get('host')}`).replace(/\/+$/, '');
  const visible = (p: Principal) => visibleTargets(options.actions, p, options.targets);

  router.get('/ui/assets/style.css', (_req, res) => void res.type('text/css').set('cache-control', 'public, max-age=3600').send(stylesheet));
  router.get('/ui/assets/:file', (req, res) => {
    const file = scripts[String(req.params.file)];
    if (!file) return void res.status(404).end();
    res.type('text/javascript').set('cache-control', 'public, max-age=3600').sendFile(file);
  });

  router.use(['/ui', '/badge'], authenticate(options.auth));

  const signInProviders = options.oauth.map((p) => p.name);
  router.get('/ui/login', (req, res) => htmlPage(res, 200, loginPage({ providers: signInProviders, returnTo: safeReturn(req.query.returnTo) })));

  router.get('/ui/auth/:provider', async (req, res) => {
    const provider = options.oauth.find((p) => p.name === req.params.provider);
    if (!provider) return htmlPage(res, 404, loginPage({ providers: signInProviders, returnTo: '/ui', error: `sign-in with ${String(req.params.provider).slice(0, 20)} is not configured` }));
    const { verifier, challenge } = pkce();
    const state = await options.sessions.beginSignIn({ provider: provider.name, verifier, returnTo: safeReturn(req.query.returnTo) });
    // the state is bound to this browser too, so nobody can sign someone else in as themselves
    res.cookie(stateCookie, state, { ...cookieOptions, maxAge: 600_000 });
    res.redirect(303, provider.authorizeUrl({ redirectUri: `${origin(req)}/ui/auth/${provider.name}/callback`, state, challenge }));
  });

  router.get('/ui/auth/:provider/callback', async (req, res) => {
    const refuse = (error: string) => htmlPage(res, 400, loginPage({ providers: signInProviders, returnTo: '/ui', error }));
    const provider = options.oauth.find((p) => p.name === req.params.provider);
    const { code, state, error } = req.query;
    if (!provider) return refuse('unknown sign-in provider');
    if (typeof error === 'string') return refuse(`${provider.name} did not sign you in: ${error.slice(0, 100)}`);
    if (typeof code !== 'string' || typeof state !== 'string') return refuse('the sign-in came back without a code and state: start again');
    const bound = req.headers.cookie ? sessionCookie(req, { name: stateCookie, secure: cookie.secure }) : undefined;
    res.clearCookie(stateCookie, cookieOptions);
    const pending = bound === state ? await options.sessions.finishSignIn(state) : undefined;
    if (!pending || pending.provider !== provider.name) return refuse('this sign-in was not started here, was used already or took over 10 minutes: start again');
    try {
      const user = await provider.signIn({ code, redirectUri: `${origin(req)}/ui/auth/${provider.name}/callback`, verifier: pending.verifier });
      const { id } = await options.sessions.create({ provider: provider.name, login: user.login, name: user.name }, options.sessionTtlMs);
      res.cookie(cookie.name, id, { ...cookieOptions, maxAge: options.sessionTtlMs });
      options.log.info({ provider: provider.name, login: user.login }, 'signed in to the dashboard');
      res.redirect(303, pending.returnTo);
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err;
      options.log.warn({ provider: provider.name, err: err.message }, 'dashboard sign-in failed');
      refuse(`${provider.name} refused the sign-in: ${err.message}`);
    }
  });

  /** Pages and their posts need a session; without one, the sign-in page, then back here. */
  const session = (req: Request, res: Response, next: NextFunction) => {
    const p = principalOf(res);
    if (p?.kind === 'session') return next();
    if (req.method === 'GET') return res.redirect(303, `/ui/login?returnTo=${encodeURIComponent(safeReturn(req.originalUrl))}`);
    htmlPage(res, 401, loginPage({ providers: signInProviders, returnTo: '/ui', error: 'your session ended: sign in again' }));
  };
  const form = express.urlencoded({ extended: false, limit: '16kb' });
  const sessionOf = (res: Response) => principalOf(res) as Extract<Principal, { kind: 'session' }>;

  router.post('/ui/logout', form, session, async (req, res) => {
    const p = sessionOf(res);
    const csrf = csrfProblem(req, p, options.url?.replace(/\/+$/, ''));
    if (csrf) return htmlPage(res, 403, errorPage('Refused', csrf, viewerOf(p)));
    await options.sessions.destroy(p.id);
    res.clearCookie(cookie.name, cookieOptions);
    res.redirect(303, '/ui/login');
  });

  router.get('/ui', session, async (req, res) => {
    const p = sessionOf(res);
    const targets = await visible(p);
    const rows = (await fleetRows(options.data, targets)).map((row, i) => ({ row, target: targets[i]! }));
    const q = (k: string) => (typeof req.query[k] === 'string' && req.query[k] !== '' ? (req.query[k] as string) : undefined);
    const filter: FleetFilter = { cluster: q('cluster'), repo: q('repo'), state: q('state') };
    const shown = rows.filter(
      ({ row }) =>
        (!filter.cluster || row.cluster === filter.cluster) &&
        (!filter.repo || row.status.repo === filter.repo) &&
        (!filter.state || (filter.state === 'locked' ? row.status.lock !== undefined : row.sync === filter.state)),
    );
    htmlPage(res, 200, fleetPage({ rows: shown, all: rows, filter, links: options.links, viewer: viewerOf(p) }));
  });

  const visibleTarget = async (req: Request, res: Response): Promise<TargetConfig | undefined> => {
    const p = sessionOf(res);
    const target = (await visible(p)).find((t) => t.name === req.params.target);
    if (!target) htmlPage(res, 404, errorPage('Not found', 'There is no such target, or you have no permission on its repository.', viewerOf(p)));
    return target;
  };

  router.get('/ui/targets/:target', session, async (req, res) => {
    const target = await visibleTarget(req, res);
    if (!target) return;
    const p = sessionOf(res);
    const [detail, mine, objects] = await Promise.all([targetDetail(options.data, target), options.actionLog.list(target.name, 10), objectsWithin(options.objects(target), objectsTimeoutMs)]);
    // the outcome of the person's own action of the last minute, shown once they are back from its form
    const notice = mine.find((a) => a.actor === p.actor && a.via === 'dashboard' && Date.now() - a.at < 60_000);
    htmlPage(res, 200, targetPage({ detail, target, links: options.links, viewer: viewerOf(p), notice, objects }));
  });

  router.post('/ui/targets/:target/:action', form, session, async (req, res) => {
    const p = sessionOf(res);
    const csrf = csrfProblem(req, p, options.url?.replace(/\/+$/, ''));
    if (csrf) return htmlPage(res, 403, errorPage('Refused', csrf, viewerOf(p)));
    const action = String(req.params.action) as ActionName;
    if (!actionNames.includes(action)) return htmlPage(res, 404, errorPage('Not found', 'There is no such action.', viewerOf(p)));
    const target = await visibleTarget(req, res);
    if (!target) return;
    const body = req.body as Record<string, string | undefined>;
    const pr = body.pr && /^\d{1,9}$/.test(body.pr.trim()) ? Number(body.pr.trim()) : undefined;
    try {
      await runAction(options.actions, p, { action, target, via: 'dashboard', revision: body.revision || undefined, pr });
    } catch (err) {
      return htmlPage(res, 503, errorPage('Try again', `Could not ${action} ${target.name} now: ${err instanceof Error ? err.message : String(err)}`, viewerOf(p)));
    }
    options.live.changed(target.name);
    res.redirect(303, `/ui/targets/${target.name}`);
  });

  router.get('/ui/events', session, async (req, res) => {
    const names = new Set((await visible(sessionOf(res))).map((t) => t.name));
    const only = typeof req.query.target === 'string' ? req.query.target : undefined;
    options.live.listen(res, only ? new Set(names.has(only) ? [only] : []) : names);
  });

  router.get('/badge/:file', async (req, res) => {
    const name = /^([a-z0-9-]{1,53})\.svg$/.exec(String(req.params.file))?.[1];
    const target = name === undefined ? undefined : options.targets.find((t) => t.name === name);
    const p = principalOf(res);
    const allowed = target && (options.publicBadges.has(target.name) || (p && (await visible(p)).includes(target)));
    // a private target's badge answers as if there were no such target
    if (!target || !allowed) return void res.status(404).type('text/plain').send('no such badge');
    const [row] = await fleetRows(options.data, [target]);
    res.type('image/svg+xml').set('cache-control', 'no-cache, max-age=0').send(badgeSvg(target.name, row!.sync, row!.health));
  });

  return router;
}
