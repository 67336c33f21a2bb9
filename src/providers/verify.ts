import { createHash, createHmac, timingSafeEqual, type Hmac } from 'node:crypto';
import { WebhookError, type BodyVerifier } from './types.js';

/** A delivery the headers alone authenticated (a secret token): its body has nothing left to prove. */
export const authenticatedByHeaders: BodyVerifier = { authenticated: true, update: () => undefined, finish: () => undefined };

/**
 * HMAC-SHA256 of the body, computed chunk by chunk while it is read, so a body is never held
 * twice for its signature. `matches` compares the digest with what the sender claimed, in
 * constant time; `mismatch` is the 401 message.
 */
export class HmacVerifier implements BodyVerifier {
  readonly authenticated: boolean;
  private readonly hmac: Hmac;

  constructor(
    key: string | Buffer,
    private readonly matches: (digest: Buffer) => boolean,
    private readonly mismatch: string,
    options: { prefix?: string; authenticated?: boolean } = {},
  ) {
    this.hmac = createHmac('sha256', key);
    if (options.prefix !== undefined) this.hmac.update(options.prefix, 'utf8');
    this.authenticated = options.authenticated ?? false;
  }

  update(chunk: Buffer): void {
    this.hmac.update(chunk);
  }

  finish(): void {
    if (!this.matches(this.hmac.digest())) throw new WebhookError(401, this.mismatch);
  }
}

const SHA256_SIGNATURE = /^sha256=([0-9a-fA-F]{64})$/;

/**
 * The digest a `sha256=<64 hex digits>` signature header claims (GitHub's X-Hub-Signature-256,
 * the generic endpoint's X-Signature-256), or undefined when it has another shape: such a
 * header can never match, so the delivery is refused before its body is read.
 */
export function sha256Signature(value: string): Buffer | undefined {
  const hex = SHA256_SIGNATURE.exec(value)?.[1];
  return hex === undefined ? undefined : Buffer.from(hex, 'hex');
}

/** Constant-time equality of two digests (false, never an exception, for other lengths). */
export function sameDigest(given: Buffer, expected: Buffer): boolean {
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Compares secrets of any length in constant time: equal-length digests, never an exception. */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (v: string) => createHash('sha256').update(v, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}
