import type { z } from 'zod';
import { WebhookError } from './types.js';

/** Request headers as node gives them. */
export type Headers = Record<string, string | string[] | undefined>;

/** One header's value (the first, when repeated). */
export function header(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The body as JSON, or a 400 that says it is not. */
export function parseJson(rawBody: Buffer): unknown {
  try {
    return JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new WebhookError(400, 'body is not valid JSON');
  }
}

/** The part of a payload a schema reads, or a 400 naming every missing or malformed field. */
export function parsePayload<T>(schema: z.ZodType<T>, payload: unknown, what: string): T {
  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || '(root)'))].join(', ');
    throw new WebhookError(400, `${what} payload is missing or has malformed fields: ${fields}`);
  }
  return parsed.data;
}
