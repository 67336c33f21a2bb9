import { z } from 'zod';
import { permissionLevels } from '../model/permission.js';
import { duration } from './duration.js';
import { httpUrl } from './fields.js';

/**
 * One entry of `server.apiTokens`: a bearer token of /api, stored as its SHA-256 so the config
 * file never holds it. `permission` is what the token may do, in the provider's words, checked by
 * the same rules as a person's: `read` (the default) reads only.
 */
export const apiTokenSchema = z.strictObject({
  /** Who the token is, in history and logs (`token:<name>`). */
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'expected a name of lowercase letters, digits, ".", "_" and "-"'),
  /** The token's SHA-256 in hex: `printf %s "$TOKEN" | sha256sum`. Tokens are random (openssl rand -hex 32), so one fast hash is enough. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected the SHA-256 of the token as 64 lowercase hex digits (printf %s "$TOKEN" | sha256sum)'),
  /** What the token may do: `read` reads only; `write` may sync; `maintain` may roll back, lock and unlock (as the target's `commands` say). */
  permission: z.enum(permissionLevels).default('read'),
});

/** `server.apiTokens`, names and hashes unique. */
export const apiTokensSchema = z.array(apiTokenSchema).superRefine((tokens, ctx) => {
  const seen = new Map<string, number>();
  tokens.forEach((t, i) => {
    for (const [field, value] of [['name', t.name], ['sha256', t.sha256]] as const) {
      const first = seen.get(`${field}:${value}`);
      if (first === undefined) seen.set(`${field}:${value}`, i);
      else ctx.addIssue({ code: 'custom', message: `the same ${field} as apiTokens[${first}]`, path: [i, field] });
    }
  });
});

/** An OAuth application (a GitHub OAuth App, a GitHub App's client, a GitLab application). */
const oauthClient = {
  /** The application's client id. */
  clientId: z.string().min(1),
  /** The application's client secret (`${DRIFTLESS_GITHUB_CLIENT_SECRET}`). */
  clientSecret: z.string().min(1),
};

/**
 * `dashboard:` the web pages under /ui, their sign-in and the badges. Without a provider under it
 * nobody can sign in, and the pages answer with how to set one up; /api still takes tokens.
 */
export const dashboardSchema = z.strictObject({
  /**
   * The address people open, e.g. `https://driftless.example.com`: OAuth redirects return to
   * `<url>/ui/auth/<provider>/callback`, and an https URL makes the cookies Secure and `__Host-`.
   */
  url: httpUrl.optional(),
  /** Sign-in with GitHub: an OAuth App, or the client of the GitHub App Driftless runs as. `url` is the web host (GitHub Enterprise: `https://host`). */
  github: z.strictObject({ ...oauthClient, url: httpUrl.default('https://github.com') }).optional(),
  /** Sign-in with GitLab: an application with the `read_user` scope on `providers.gitlab.url`. */
  gitlab: z.strictObject(oauthClient).optional(),
  /** How long a sign-in lasts. */
  sessionTtl: duration.prefault('12h'),
  /** How long a person's permission on a repository, as the provider reported it, is trusted before it is asked again. */
  permissionTtl: duration.prefault('5m'),
  /** Targets whose badge (`/badge/<target>.svg`) anyone may see; every other badge needs a sign-in or a token. */
  publicBadges: z.array(z.string().min(1)).default([]),
});

export type ApiTokenConfig = z.output<typeof apiTokenSchema>;
export type DashboardConfig = z.output<typeof dashboardSchema>;
