import { createHash } from 'node:crypto';
import { z } from 'zod';
import { header, parseJson, type Headers } from '../payload.js';
import { WebhookError, type BodyVerifier, type ReceivedEvent, type WebhookReceiver } from '../types.js';
import { HmacVerifier, sameDigest, sha256Signature } from '../verify.js';

/** `{"repo": "<provider>:<path>", "ref": "refs/heads/<branch>", "sha": "<40 hex>"}`, for senders that are not GitHub or GitLab. */
const bodySchema = z.strictObject({
  repo: z.string().regex(/^(github|gitlab):\S+$/, 'expected <provider>:<path>, e.g. github:acme/shop'),
  ref: z.string().startsWith('refs/heads/', 'expected refs/heads/<branch>'),
  sha: z.string().regex(/^[0-9a-f]{40}$/, 'expected a full 40-hex commit id'),
  actor: z.string().optional(),
});

/**
 * POST /webhooks/generic: an HMAC-SHA256 of the raw body in `X-Signature-256: sha256=<hex>`, for
 * Gitea, CI jobs and scripts. The delivery id is `X-Delivery-Id` when sent, else the body's
 * digest, so a retried identical request deploys once.
 */
export class GenericWebhook implements WebhookReceiver {
  readonly provider = 'generic' as const;

  constructor(private readonly secret: string) {}

  deliveryId(headers: Headers, rawBody: Buffer): string {
    return header(headers, 'x-delivery-id') ?? `body-${createHash('sha256').update(rawBody).digest('hex').slice(0, 32)}`;
  }

  authenticate(headers: Headers): BodyVerifier {
    const signature = header(headers, 'x-signature-256');
    if (!signature) throw new WebhookError(401, 'missing X-Signature-256 header (sha256=<hex HMAC-SHA256 of the body>)');
    const mismatch = 'signature does not match: sign the raw body with providers.generic.secret';
    const claimed = sha256Signature(signature);
    if (!claimed) throw new WebhookError(401, mismatch);
    return new HmacVerifier(this.secret, (digest) => sameDigest(claimed, digest), mismatch);
  }

  normalize(rawBody: Buffer): ReceivedEvent {
    const payload = parseJson(rawBody);
    const parsed = bodySchema.safeParse(payload);
    if (!parsed.success) throw new WebhookError(400, parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
    const { repo, ref, sha, actor } = parsed.data;
    return { kind: 'push', provider: 'generic', repo, ref, after: sha, deleted: false, actor: actor ?? 'generic-webhook' };
  }
}
