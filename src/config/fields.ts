import { z } from 'zod';

// Values substituted from the environment are strings, so numeric and boolean fields also
// accept their string forms (`port: ${PORT}`, `prune: ${PRUNE}`).
const intFromString = (v: unknown): unknown =>
  typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v;
const boolFromString = (v: unknown): unknown => (v === 'true' ? true : v === 'false' ? false : v);

/** A schema-level message for a wrong value; a missing one still reads "required". */
export const unlessMissing = (message: string) => ({
  error: (issue: { input?: unknown }) => (issue.input === undefined ? undefined : message),
});

/** An integer in [min, max], also written as a string. */
export const int = (min: number, max: number) => z.preprocess(intFromString, z.int().min(min).max(max));
/** A boolean, also written as `"true"` or `"false"`. */
export const bool = () => z.preprocess(boolFromString, z.boolean());

/** A URL whose scheme matches `protocol`; `what` names the expected kind in the error. */
export const url = (protocol: RegExp, what: string) => z.url({ protocol, error: `expected ${what}` });
export const httpUrl = url(/^https?$/, 'an http(s) URL');

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_LABEL_CHARS = 'lowercase letters, digits and "-", starting and ending with a letter or digit';

/** A Kubernetes DNS label of at most `max` characters; `what` names the thing in the error ("a name"). */
export const dnsLabel = (max: number, what = 'a name') =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(DNS_LABEL, `expected ${what} of ${DNS_LABEL_CHARS}`);
