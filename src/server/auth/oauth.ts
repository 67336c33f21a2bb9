import { createHash, randomBytes } from 'node:crypto';
import type { Config } from '../../config/schema.js';

/** Who signed in, as their Git host reports it. */
export interface OAuthUser {
  login: string;
  name?: string;
}

/**
 * One host's OAuth 2.0 authorization-code flow with PKCE (RFC 7636): GitHub's
 * `/login/oauth/authorize` and `/login/oauth/access_token` on its web host and `GET /user` on
 * its API; GitLab's `/oauth/authorize`, `/oauth/token` and `GET /api/v4/user`. The person's
 * token is used once, to learn who they are, and never kept: their permission on each repository
 * is asked of the host with Driftless's own credentials, as for comment commands.
 */
export interface OAuthProvider {
  readonly name: 'github' | 'gitlab';
  /** The host's page that asks the person to allow the sign-in. */
  authorizeUrl(input: { redirectUri: string; state: string; challenge: string }): string;
  /** Trades the code the host sent back for the person's login; throws OAuthError when the host refuses. */
  signIn(input: { code: string; redirectUri: string; verifier: string }): Promise<OAuthUser>;
}

/** The host refused a step of the sign-in (a used or expired code, a wrong client secret), or answered nonsense. */
export class OAuthError extends Error {}

/** A PKCE verifier and its S256 challenge. */
export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

const trim = (url: string) => url.replace(/\/+$/, '');

async function json(res: Response, step: string): Promise<Record<string, unknown>> {
  const body = (await res.json().catch(() => undefined)) as Record<string, unknown> | undefined;
  if (!body || typeof body !== 'object') throw new OAuthError(`${step}: the host answered ${res.status} without JSON`);
  // OAuth errors (RFC 6749 §5.2); GitHub sends them with a 200
  if (typeof body.error === 'string') throw new OAuthError(`${step}: ${body.error}${typeof body.error_description === 'string' ? ` (${body.error_description})` : ''}`);
  if (!res.ok) throw new OAuthError(`${step}: the host answered ${res.status}${typeof body.message === 'string' ? ` (${body.message})` : ''}`);
  return body;
}

/** Trades a code for an access token at `tokenUrl` (a form POST, as both hosts take it). */
async function accessToken(tokenUrl: string, form: Record<string, string>): Promise<string> {
  const res = await fetch(tokenUrl, {
    method: 'POST',
    headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
    signal: AbortSignal.timeout(10_000),
  });
  const body = await json(res, 'token exchange');
  if (typeof body.access_token !== 'string') throw new OAuthError('token exchange: no access_token in the answer');
  return body.access_token;
}

async function user(url: string, token: string, loginField: 'login' | 'username'): Promise<OAuthUser> {
  const res = await fetch(url, { headers: { accept: 'application/json', authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
  const body = await json(res, 'user lookup');
  const login = body[loginField];
  if (typeof login !== 'string' || login === '') throw new OAuthError(`user lookup: no ${loginField} in the answer`);
  return { login, name: typeof body.name === 'string' && body.name !== '' ? body.name : undefined };
}

/** The sign-in providers `dashboard:` configures; GitLab's API and web host are `providers.gitlab.url`. */
export function oauthProviders(config: Config): OAuthProvider[] {
  const providers: OAuthProvider[] = [];
  const gh = config.dashboard.github;
  if (gh) {
    const web = trim(gh.url);
    const api = trim(config.providers.github?.apiUrl ?? 'https://api.github.com');
    providers.push({
      name: 'github',
      authorizeUrl: ({ redirectUri, state, challenge }) =>
        `${web}/login/oauth/authorize?${new URLSearchParams({ client_id: gh.clientId, redirect_uri: redirectUri, state, code_challenge: challenge, code_challenge_method: 'S256', allow_signup: 'false' })}`,
      async signIn({ code, redirectUri, verifier }) {
        const token = await accessToken(`${web}/login/oauth/access_token`, { client_id: gh.clientId, client_secret: gh.clientSecret, code, redirect_uri: redirectUri, code_verifier: verifier });
        return user(`${api}/user`, token, 'login');
      },
    });
  }
  const gl = config.dashboard.gitlab;
  if (gl) {
    const host = trim(config.providers.gitlab?.url ?? 'https://gitlab.com');
    providers.push({
      name: 'gitlab',
      authorizeUrl: ({ redirectUri, state, challenge }) =>
        `${host}/oauth/authorize?${new URLSearchParams({ client_id: gl.clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'read_user', state, code_challenge: challenge, code_challenge_method: 'S256' })}`,
      async signIn({ code, redirectUri, verifier }) {
        const token = await accessToken(`${host}/oauth/token`, { client_id: gl.clientId, client_secret: gl.clientSecret, code, grant_type: 'authorization_code', redirect_uri: redirectUri, code_verifier: verifier });
        return user(`${host}/api/v4/user`, token, 'username');
      },
    });
  }
  return providers;
}
