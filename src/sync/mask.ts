import { lastAppliedAnnotation } from './ownership.js';

type Obj = Record<string, unknown>;

/**
 * Shortest Secret value that is also searched for outside `data` and `stringData`: a shorter
 * one ("1", "yes") would mask unrelated text, and is no secret worth the name.
 */
export const minSearchedLength = 4;

const valueFields = ['data', 'stringData'] as const;
const masked = '***';

/** A core Secret (apiVersion v1; the group-less form the API serves). */
export function isSecret(object: Obj | undefined): boolean {
  return object?.kind === 'Secret' && (object.apiVersion === 'v1' || object.apiVersion === undefined);
}

const fields = (o: Obj | undefined, field: (typeof valueFields)[number]): Obj => (o?.[field] && typeof o[field] === 'object' ? (o[field] as Obj) : {});

/**
 * Masks `data` and `stringData` of a pair of Secrets in place. Equal values on both sides read
 * the same; a changed value reads differently before and after, so a reviewer sees *that* it
 * changed, never what it is.
 */
function maskFields(before: Obj | undefined, after: Obj | undefined): void {
  for (const field of valueFields) {
    const bv = fields(before, field);
    const av = fields(after, field);
    for (const key of new Set([...Object.keys(bv), ...Object.keys(av)])) {
      const same = key in bv && key in av && bv[key] === av[key];
      if (key in bv) bv[key] = `${masked} (${same ? 'unchanged' : 'before'})`;
      if (key in av) av[key] = `${masked} (${same ? 'unchanged' : 'after'})`;
    }
  }
}

/** kubectl's last-applied annotation as the object it records, when it is one. */
function lastApplied(object: Obj | undefined): Obj | undefined {
  const text = ((object?.metadata as Obj | undefined)?.annotations as Obj | undefined)?.[lastAppliedAnnotation];
  if (typeof text !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Obj) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Every form in which a Secret's values can appear in text: `data` as base64 and decoded,
 * `stringData` as written and as base64, each also JSON-escaped, from the object and from the
 * object its last-applied annotation records. Only values of `minSearchedLength` or more.
 */
function secretValues(...objects: (Obj | undefined)[]): string[] {
  const found = new Set<string>();
  const add = (text: string) => {
    if (text.length < minSearchedLength) return;
    found.add(text);
    found.add(JSON.stringify(text).slice(1, -1));
  };
  for (const object of objects.flatMap((o) => [o, lastApplied(o)])) {
    for (const value of Object.values(fields(object, 'data'))) {
      if (typeof value !== 'string') continue;
      add(value);
      const bytes = Buffer.from(value, 'base64');
      const text = bytes.toString('utf8');
      // only text that is what the bytes say; binary values have no text form to search for
      if (Buffer.from(text, 'utf8').equals(bytes)) add(text);
    }
    for (const value of Object.values(fields(object, 'stringData'))) {
      if (typeof value !== 'string') continue;
      add(value);
      add(Buffer.from(value, 'utf8').toString('base64'));
    }
  }
  // longest first, so a value that contains another is replaced whole
  return [...found].sort((a, b) => b.length - a.length);
}

/** `value` with every occurrence of each of `secrets` in every string replaced by `***`; keys are kept. */
function scrub(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') return secrets.reduce((text, secret) => text.replaceAll(secret, masked), value);
  if (Array.isArray(value)) return value.map((v) => scrub(v, secrets));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v, secrets)]));
  return value;
}

/**
 * A pair of objects (live, desired) with Secret values masked wherever they can hide: `data`
 * and `stringData`; the `kubectl.kubernetes.io/last-applied-configuration` annotation, which a
 * Secret first created with client-side `kubectl apply` carries with its plaintext (masked
 * inside, the same way, so the diff still shows what else it records); and any other string in
 * the object that embeds a value (another annotation, a label, a field), where the value is
 * replaced by `***`. Objects that are not Secrets are returned as they are; the inputs are not changed.
 */
export function maskSecrets(before: Obj | undefined, after: Obj | undefined): [Obj | undefined, Obj | undefined] {
  if (!isSecret(before) && !isSecret(after)) return [before, after];
  const secrets = secretValues(before, after);
  const b = before && structuredClone(before);
  const a = after && structuredClone(after);
  maskFields(b, a);
  const [lb, la] = [lastApplied(b), lastApplied(a)];
  maskFields(lb, la);
  for (const [object, recorded] of [[b, lb], [a, la]] as const) {
    const annotations = (object?.metadata as Obj | undefined)?.annotations as Obj | undefined;
    if (annotations?.[lastAppliedAnnotation] === undefined) continue;
    // kubectl writes compact JSON and a newline; what is not JSON is masked whole
    annotations[lastAppliedAnnotation] = recorded ? `${JSON.stringify(recorded)}\n` : `${masked} (not JSON)`;
  }
  return [scrub(b, secrets) as Obj | undefined, scrub(a, secrets) as Obj | undefined];
}
