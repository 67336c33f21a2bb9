import { timingSafeEqual } from 'node:crypto';
import { parse as parseCookies } from 'cookie';
import type { NextFunction, Request, Response } from 'express';
import type { PermissionLevel } from '../../model/permission.js';
import type { Session, SessionStore } from '../../store/sessions.js';
import type { ApiTokens } from './tokens.js';

/** Who a request comes from: an API token, or a person's dashboard session. */
export type Principal =
  | { kind: 'token'; name: string; permission: PermissionLevel; actor: string }
  | { kind: 'session'; id: string; session: Session; actor: string };

/** Where the session cookie lives: `__Host-driftless_session`, Secure, when the dashboard is served over https. */
export interface CookieSettings {
  name: string;
  secure: boolean;
}

/** The session cookie's settings for a dashboard served at `url` (none: plain http, e.g. behind a local port). */
export function cookieSettings(url: string | undefined): CookieSettings {
  const secure = url?.startsWith('https:') ?? false;
  // the __Host- prefix makes the browser refuse the cookie unless Secure, Path=/ and host-only
  return { name: secure ? '__Host-driftless_session' : 'driftless_session', secure };
}

/** What `authenticate` needs. */
export interface AuthenticateOptions {
  tokens: ApiTokens;
  sessions: Pick<SessionStore, 'get'>;
  cookie: CookieSettings;
}

/** A 401 of /api: RFC 6750 §3, naming the scheme, and the error when a token was presented but is wrong. */
export function unauthorized(res: Response, error: string, invalidToken = false): void {
  res.set('www-authenticate', invalidToken ? 'Bearer realm="driftless", error="invalid_token"' : 'Bearer realm="driftless"');
  res.status(401).json({ error });
}

/** The principal `authenticate` found, if any. */
export function principalOf(res: Response): Principal | undefined {
  return res.locals.principal as Principal | undefined;
}

/** The session cookie's value of a request, if it has one. */
export function sessionCookie(req: Request, cookie: CookieSettings): string | undefined {
  return req.headers.cookie ? parseCookies(req.headers.cookie)[cookie.name] : undefined;
}

/**
 * Finds who a request comes from, refusing nothing by itself: `Authorization: Bearer <token>`
 * (a wrong token is a 401 at once: a caller that sent one wants it checked), else the session
 * cookie. Sets `res.locals.principal`. Redis being down is a 503.
 */
export function authenticate(options: AuthenticateOptions) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const authorization = req.headers.authorization;
    if (authorization !== undefined) {
      const match = /^Bearer +(\S+) *$/i.exec(authorization);
      if (!match) return unauthorized(res, 'send an API token (server.apiTokens) as Authorization: Bearer <token>');
      const token = options.tokens.verify(match[1]!);
      if (!token) return unauthorized(res, 'the bearer token matches none of server.apiTokens', true);
      res.locals.principal = { kind: 'token', name: token.name, permission: token.permission, actor: `token:${token.name}` } satisfies Principal;
      return next();
    }
    const id = sessionCookie(req, options.cookie);
    if (id) {
      let session: Session | undefined;
      try {
        session = await options.sessions.get(id);
      } catch (err) {
        res.status(503).json({ error: `Redis: ${err instanceof Error ? err.message : String(err)}` });
        return;
      }
      if (session) res.locals.principal = { kind: 'session', id, session, actor: session.login } satisfies Principal;
    }
    next();
  };
}

const same = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * CSRF protection of a session's unsafe requests (a token's requests carry no ambient
 * credential): the session's token in the `x-csrf-token` header or the form field `_csrf`, and an
 * `Origin`, when the browser sends one, of the dashboard itself. The cookie is also SameSite=Lax.
 */
export function csrfProblem(req: Request, principal: Principal, origin: string | undefined): string | undefined {
  if (principal.kind !== 'session') return undefined;
  const sent = req.get('origin');
  const own = origin ?? `${req.protocol}://${req.get('host')}`;
  if (sent !== undefined && sent !== own) return `cross-origin request from ${sent} refused`;
  const body = req.body as Record<string, unknown> | undefined;
  const token = req.get('x-csrf-token') ?? (typeof body?._csrf === 'string' ? body._csrf : undefined);
  if (!token) return 'missing CSRF token: send the x-csrf-token header or the _csrf form field';
  if (!same(token, principal.session.csrf)) return 'wrong CSRF token: reload the page';
  return undefined;
}
