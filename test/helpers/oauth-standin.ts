import { createHash, randomBytes } from 'node:crypto';
import { sameSecret } from './recording-server.js';

/** An OAuth application registered at the host: what a Driftless dashboard signs in with. */
export interface OAuthClient {
  clientId: string;
  clientSecret: string;
}

/** What the authorization endpoint answers: a redirect back to the client, or a page of the host's own. */
export type AuthorizeAnswer = { location: string } | { status: number; body: Record<string, unknown> };

/** What the token endpoint answers: the token, or an RFC 6749 §5.2 error (`status` as the host sends it). */
export type TokenAnswer = { token: string } | { status: number; error: string; description: string };

interface Grant {
  clientId: string;
  redirectUri: string;
  login: string;
  challenge?: string;
  expires: number;
}

/**
 * The authorization server of a Git host stand-in (RFC 6749 authorization code grant, with
 * PKCE S256 as RFC 7636 has it): registered clients, one-time codes living 10 minutes, and access
 * tokens naming the person who approved. The person "signed in at the host in the browser" is
 * `signedIn`; with `deny`, they press Cancel.
 */
export class OAuthServer {
  private readonly clients = new Map<string, OAuthClient>();
  private readonly grants = new Map<string, Grant>();
  private readonly tokens = new Map<string, string>();
  /** Login of the person signed in at the host, who approves the next authorization. */
  signedIn: string | undefined;
  /** The person refuses the next authorizations. */
  deny = false;

  constructor(private readonly tokenPrefix: string) {}

  /** Registers an application (these credentials, or new ones); returns its client id and secret. */
  register(given?: OAuthClient): OAuthClient {
    const client = given ?? { clientId: `Iv1.${randomBytes(8).toString('hex')}`, clientSecret: randomBytes(20).toString('hex') };
    this.clients.set(client.clientId, client);
    return client;
  }

  /** The authorization endpoint: the person approves (or not) and the host redirects back with a code. */
  authorize(query: Record<string, string>): AuthorizeAnswer {
    const client = this.clients.get(query.client_id ?? '');
    if (!client) return { status: 404, body: { error: 'unknown client_id' } };
    const redirect = query.redirect_uri;
    if (!redirect || !/^https?:\/\//.test(redirect)) return { status: 400, body: { error: 'redirect_uri_mismatch' } };
    const back = new URL(redirect);
    if (query.state !== undefined) back.searchParams.set('state', query.state);
    if (this.deny || this.signedIn === undefined) {
      back.searchParams.set('error', 'access_denied');
      back.searchParams.set('error_description', 'The user has denied your application access.');
      return { location: back.toString() };
    }
    if (query.code_challenge !== undefined && query.code_challenge_method !== 'S256') return { status: 400, body: { error: 'invalid_request', error_description: 'code_challenge_method must be S256' } };
    const code = randomBytes(10).toString('hex');
    this.grants.set(code, { clientId: client.clientId, redirectUri: redirect, login: this.signedIn, challenge: query.code_challenge, expires: Date.now() + 600_000 });
    back.searchParams.set('code', code);
    return { location: back.toString() };
  }

  /** The token endpoint: a code for a token, once, for the client it was issued to, with its verifier. */
  exchange(form: Record<string, unknown>): TokenAnswer {
    const str = (k: string) => (typeof form[k] === 'string' ? (form[k] as string) : undefined);
    const client = this.clients.get(str('client_id') ?? '');
    if (!client || !sameSecret(str('client_secret') ?? '', client.clientSecret)) return { status: 401, error: 'invalid_client', description: 'Client authentication failed.' };
    const code = str('code') ?? '';
    const grant = this.grants.get(code);
    this.grants.delete(code);
    const verifier = str('code_verifier');
    const challenged = grant?.challenge === undefined || (verifier !== undefined && createHash('sha256').update(verifier).digest('base64url') === grant.challenge);
    if (!grant || grant.expires < Date.now() || grant.clientId !== client.clientId || grant.redirectUri !== str('redirect_uri') || !challenged) {
      return { status: 400, error: 'invalid_grant', description: 'The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.' };
    }
    const token = `${this.tokenPrefix}${randomBytes(18).toString('base64url')}`;
    this.tokens.set(token, grant.login);
    return { token };
  }

  /** The login an access token this server issued belongs to. */
  loginOf(token: string): string | undefined {
    return this.tokens.get(token);
  }
}
