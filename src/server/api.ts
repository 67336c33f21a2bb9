import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { TargetConfig } from '../config/schema.js';
import type { TargetStatus } from '../store/target-status.js';
import { actionNames, runAction, type ActionDeps, type ActionName } from './actions.js';
import { visibleTargets } from './auth/permissions.js';
import { authenticate, csrfProblem, principalOf, unauthorized, type AuthenticateOptions, type Principal } from './auth/principal.js';
import type { TargetDetail } from './target-view.js';

/** Options of the /api routes. */
export interface ApiOptions {
  auth: AuthenticateOptions;
  /** Whether people can sign in (a provider under `dashboard:`), for the 401's hint. */
  signIn: boolean;
  /** The dashboard's own origin (`dashboard.url`), which a session's unsafe requests must come from. */
  origin?: string;
  targets: readonly TargetConfig[];
  /** Where each of these targets stands. */
  status: (targets: readonly TargetConfig[]) => Promise<TargetStatus[]>;
  /** One target in full: status, history, actions, previews. */
  detail: (target: TargetConfig) => Promise<TargetDetail>;
  actions: ActionDeps;
}

/** Redis or the Git host did not answer. */
const unavailable = (res: Response, err: unknown) => res.status(503).json({ error: `not available now: ${err instanceof Error ? err.message : String(err)}` });

/**
 * Every /api call needs a principal: an API token (`server.apiTokens`, or the read-only
 * `server.apiToken`) or a dashboard session. Health, readiness, metrics and webhooks stay open.
 */
function requirePrincipal(options: ApiOptions) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    if (principalOf(res)) return next();
    if (!options.auth.tokens.any && !options.signIn) return unauthorized(res, 'the API is off: set server.apiTokens and send one as Authorization: Bearer <token>');
    unauthorized(res, 'send an API token (server.apiTokens) as Authorization: Bearer <token>, or sign in at /ui');
  };
}

/**
 * /api/*: what the web knows about targets, and the dashboard's actions, for tokens and
 * sessions. A session sees the targets whose repository its person has any permission on; a
 * token sees all. Actions are authorized per target like comment commands; a session's need its
 * CSRF token.
 */
export function apiRouter(options: ApiOptions): Router {
  const router = express.Router();
  router.use('/api', authenticate(options.auth), requirePrincipal(options));
  const visible = async (principal: Principal) => visibleTargets(options.actions, principal, options.targets);
  /** The target the path names, if the principal may see it; a target it may not see is as unknown as one that does not exist. */
  const targetOf = async (req: Request, res: Response): Promise<TargetConfig | undefined> => {
    const name = String(req.params.target);
    let target: TargetConfig | undefined;
    try {
      target = (await visible(principalOf(res)!)).find((t) => t.name === name);
    } catch (err) {
      res.status(503).json({ error: `could not read permissions now: ${err instanceof Error ? err.message : String(err)}` });
      return undefined;
    }
    if (!target && !res.headersSent) res.status(404).json({ error: `no target ${JSON.stringify(name.slice(0, 80))}` });
    return target;
  };

  router.get('/api/targets', async (_req, res) => {
    try {
      res.json({ targets: await options.status(await visible(principalOf(res)!)) });
    } catch (err) {
      unavailable(res, err);
    }
  });
  router.get('/api/targets/:target', async (req, res) => {
    try {
      const target = await targetOf(req, res);
      if (target) res.json(await options.detail(target));
    } catch (err) {
      unavailable(res, err);
    }
  });
  router.post('/api/targets/:target/:action', express.json({ limit: '16kb' }), async (req, res) => {
    const principal = principalOf(res)!;
    const action = String(req.params.action) as ActionName;
    if (!actionNames.includes(action)) return void res.status(404).json({ error: `no action ${JSON.stringify(action.slice(0, 40))}; actions: ${actionNames.join(', ')}` });
    const csrf = csrfProblem(req, principal, options.origin);
    if (csrf) return void res.status(403).json({ error: csrf });
    const target = await targetOf(req, res);
    if (!target) return;
    const body = (req.body ?? {}) as { revision?: unknown; pr?: unknown };
    let result;
    try {
      result = await runAction(options.actions, principal, {
        action,
        target,
        via: 'api',
        revision: typeof body.revision === 'string' ? body.revision : undefined,
        pr: typeof body.pr === 'number' ? body.pr : undefined,
      });
    } catch (err) {
      return void res.status(503).json({ error: `could not ${action} ${target.name} now: ${err instanceof Error ? err.message : String(err)}` });
    }
    res.status(result.status).json(result.status < 300 ? { result: result.status === 202 ? 'queued' : 'done', message: result.message, deliveryId: result.deliveryId } : { error: result.message });
  });
  return router;
}
