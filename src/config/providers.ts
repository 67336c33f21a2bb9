import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { duration } from './duration.js';
import { httpUrl, int } from './fields.js';

const id = int(1, Number.MAX_SAFE_INTEGER);

/**
 * `providers.github.app`: a GitHub App's id and private key, from the environment
 * (`privateKey: "${GITHUB_APP_PRIVATE_KEY}"`, newlines may be written `\n`) or a file
 * (`privateKeyFile`, read when the config is loaded; a relative path is from the config file's folder),
 * and optionally the one installation to use. The key is never echoed in an error.
 */
const appSchema = z
  .strictObject({
    appId: id,
    privateKey: z.string().min(1).optional(),
    privateKeyFile: z.string().min(1).optional(),
    installationId: id.optional(),
  })
  .transform((app, ctx) => {
    if ((app.privateKey === undefined) === (app.privateKeyFile === undefined)) {
      ctx.issues.push({ code: 'custom', message: 'set one of privateKey (the PEM, e.g. "${GITHUB_APP_PRIVATE_KEY}") and privateKeyFile (its path)', input: undefined });
      return z.NEVER;
    }
    let pem = app.privateKey;
    if (app.privateKeyFile !== undefined) {
      try {
        pem = readFileSync(app.privateKeyFile, 'utf8');
      } catch (err) {
        ctx.issues.push({ code: 'custom', path: ['privateKeyFile'], message: `cannot read the file: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, input: undefined });
        return z.NEVER;
      }
    }
    const privateKey = (pem ?? '').replaceAll('\\n', '\n').trim();
    if (!/^-----BEGIN (RSA )?PRIVATE KEY-----\n[\s\S]+\n-----END (RSA )?PRIVATE KEY-----$/.test(privateKey)) {
      ctx.issues.push({ code: 'custom', path: [app.privateKeyFile === undefined ? 'privateKey' : 'privateKeyFile'], message: 'expected a PEM private key as GitHub issues it (-----BEGIN RSA PRIVATE KEY----- ...)', input: undefined });
      return z.NEVER;
    }
    return { appId: app.appId, privateKey, ...(app.installationId === undefined ? {} : { installationId: app.installationId }) };
  });

const githubSchema = z.strictObject({
  /** Secret GitHub signs deliveries with (X-Hub-Signature-256). */
  webhookSecret: z.string().min(1),
  /** Token for statuses, comments, permissions and deployments; without it (or `app`) nothing is reported. */
  token: z.string().min(1).optional(),
  /** Authenticate as a GitHub App instead of with a token: check runs, installation tokens refreshed before expiry. */
  app: appSchema.optional(),
  apiUrl: httpUrl.default('https://api.github.com'),
  /**
   * Least time between two API writes (statuses, checks, deployments); comments three times it.
   * GitHub asks integrations to wait at least a second between writes to avoid its secondary
   * rate limits (https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api).
   */
  writeInterval: duration.prefault('1s'),
  /** Longest a rate-limited call waits in-process; a report whose limit lifts later waits in the queue instead. */
  maxRateLimitWait: duration.prefault('60s'),
}).refine((github) => github.token === undefined || github.app === undefined, { message: 'set token or app, not both', path: ['app'] });

const gitlabSchema = z.strictObject({
  /** Compared with X-Gitlab-Token. */
  webhookToken: z.string().min(1),
  /** Signing token for GitLab's webhook signatures (webhook-signature header), when configured. */
  signingToken: z.string().min(1).optional(),
  token: z.string().min(1).optional(),
  url: httpUrl.default('https://gitlab.com'),
});

const genericSchema = z.strictObject({
  /** HMAC-SHA256 key for /webhooks/generic. */
  secret: z.string().min(1),
});

/** `providers:` the webhook secrets and API tokens of each Git host; each one optional. */
export const providersSchema = z.strictObject({
  github: githubSchema.optional(),
  gitlab: gitlabSchema.optional(),
  generic: genericSchema.optional(),
});
