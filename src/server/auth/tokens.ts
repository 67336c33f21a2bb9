import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiTokenConfig } from '../../config/schema.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest();

/**
 * The API tokens of `server.apiTokens`, plus `server.apiToken` as the read-only token named
 * `apiToken` it always was. A presented token is hashed and compared with every entry in
 * constant time, so neither a match nor its position shows in the timing.
 */
export class ApiTokens {
  private readonly entries: { token: ApiTokenConfig; hash: Buffer }[];

  constructor(tokens: readonly ApiTokenConfig[] = [], legacy?: string) {
    const all: ApiTokenConfig[] = [...tokens];
    if (legacy !== undefined) all.push({ name: 'apiToken', sha256: sha256(legacy).toString('hex'), permission: 'read' });
    this.entries = all.map((token) => ({ token, hash: Buffer.from(token.sha256, 'hex') }));
  }

  /** Whether any token is configured. */
  get any(): boolean {
    return this.entries.length > 0;
  }

  /** The entry whose hash the presented token has, if any. */
  verify(presented: string): ApiTokenConfig | undefined {
    const hash = sha256(presented);
    let found: ApiTokenConfig | undefined;
    for (const e of this.entries) if (timingSafeEqual(hash, e.hash)) found = e.token;
    return found;
  }
}
