import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { sameSecret } from '../providers/verify.js';
import type { TargetStatus } from '../store/target-status.js';

/** Options of the /api routes. */
export interface ApiOptions {
  /** The bearer token callers must present (`server.apiToken`); without one every call is refused. */
  token: string | undefined;
  /** Answers GET /api/targets. */
  status: () => Promise<TargetStatus[]>;
}

/** RFC 6750 §3: a 401 names the scheme, and the error when a token was presented but is wrong. */
function unauthorized(res: Response, error: string, invalidToken: boolean): void {
  res.set('www-authenticate', invalidToken ? 'Bearer realm="driftless", error="invalid_token"' : 'Bearer realm="driftless"');
  res.status(401).json({ error });
}

/**
 * `Authorization: Bearer <server.apiToken>` on every /api call, compared in constant time. The
 * API tells whoever can call it every repository, branch, deployed commit and lock holder, so it
 * is closed unless a token is configured; health, readiness, metrics and webhooks stay open.
 */
function requireToken(token: string | undefined) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (token === undefined) return unauthorized(res, 'the API is off: set server.apiToken and send it as Authorization: Bearer <token>', false);
    const match = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '');
    if (!match) return unauthorized(res, 'send server.apiToken as Authorization: Bearer <token>', false);
    if (!sameSecret(match[1]!, token)) return unauthorized(res, 'the bearer token does not match server.apiToken', true);
    next();
  };
}

/** /api/*: what the web knows about targets, for people and tools holding the API token. */
export function apiRouter(options: ApiOptions): Router {
  const router = express.Router();
  router.use('/api', requireToken(options.token));
  router.get('/api/targets', async (_req, res) => {
    try {
      res.json({ targets: await options.status() });
    } catch (err) {
      res.status(503).json({ error: `Redis: ${err instanceof Error ? err.message : String(err)}` });
    }
  });
  return router;
}
