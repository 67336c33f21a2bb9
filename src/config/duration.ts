import { z } from 'zod';
import { unlessMissing } from './fields.js';

const DURATION_SHAPE = /^(?:\d+(?:\.\d+)?(?:ms|h|m|s))+$/;
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
/** setTimeout fires at once for longer delays, so no duration may exceed it. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Parses a duration such as `30s`, `5m`, `1h`, `1m30s` or `500ms` into milliseconds.
 * Throws an Error whose message says what is expected.
 */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (!DURATION_SHAPE.test(trimmed)) {
    throw new Error(`expected a duration such as 30s, 5m or 1h, got ${JSON.stringify(text)}`);
  }
  let ms = 0;
  for (const [, amount, unit] of trimmed.matchAll(DURATION_PART)) {
    ms += Number(amount) * (UNIT_MS[unit ?? ''] ?? Number.NaN);
  }
  return Math.round(ms);
}

/** A duration written as text (`30s`), parsed to milliseconds: above 0, within setTimeout's range. */
export const duration = z
  .string(unlessMissing('expected a duration such as 30s, 5m or 1h'))
  .transform((text, ctx) => {
    let ms: number;
    try {
      ms = parseDuration(text);
    } catch (err) {
      ctx.issues.push({ code: 'custom', message: (err as Error).message, input: text });
      return z.NEVER;
    }
    if (ms <= 0) {
      ctx.issues.push({ code: 'custom', message: 'must be longer than 0s', input: text });
      return z.NEVER;
    }
    if (ms > MAX_TIMER_MS) {
      ctx.issues.push({ code: 'custom', message: 'must be shorter than 596h (24.8 days)', input: text });
      return z.NEVER;
    }
    return ms;
  });
