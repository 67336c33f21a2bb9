import { createHash } from 'node:crypto';
import { isKind, secretKind } from '../kube/keys.js';
import type { KubeObject } from '../kube/objects.js';

/** Digest of what Git said the last time Driftless applied an object. */
export const appliedHashAnnotation = 'driftless.io/applied-hash';

/** Canonical JSON: keys sorted, so the digest does not depend on the order in the file. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Marks the object with the digest of its manifest. Secrets are left out: a digest of their
 * values on the object would let anyone who can read it test guesses offline.
 */
export function stampApplied(desired: KubeObject): void {
  if (isKind(desired, secretKind)) return;
  const digest = createHash('sha256').update(canonical(desired)).digest('hex').slice(0, 32);
  desired.metadata.annotations = { ...desired.metadata.annotations, [appliedHashAnnotation]: digest };
}

/** Every field the manifest sets has the same value live (the server may have added more). */
function contains(live: unknown, desired: unknown): boolean {
  if (Array.isArray(desired)) return Array.isArray(live) && live.length === desired.length && desired.every((d, i) => contains(live[i], d));
  if (desired && typeof desired === 'object') {
    if (!live || typeof live !== 'object' || Array.isArray(live)) return false;
    return Object.entries(desired).every(([k, v]) => contains((live as Record<string, unknown>)[k], v));
  }
  return live === desired;
}

/**
 * Whether the live object is still exactly what Driftless applied from the same manifest: the
 * digest matches (so no field was removed from Git either) and every field of the manifest has
 * its value live (so nobody changed one by hand). Such an object needs no dry run: this is what
 * makes a resync of unchanged objects cheap. Anything else goes through the dry run.
 */
export function unchangedSinceApplied(live: KubeObject, desired: KubeObject): boolean {
  const digest = desired.metadata.annotations?.[appliedHashAnnotation];
  return digest !== undefined && live.metadata.annotations?.[appliedHashAnnotation] === digest && contains(live, desired);
}
