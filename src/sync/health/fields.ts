import type { KubeObject } from '../../kube/objects.js';
import { progressing, type Health } from './types.js';

/** A field of a live object has a shape no API server writes; `healthOf` reports it as Unknown. */
export class MalformedObjectError extends Error {
  override name = 'MalformedObjectError';
}

/** One entry of `status.conditions`, as both metav1.Condition and the older per-kind types write it. */
export interface Condition {
  type: string;
  /** `True`, `False` or `Unknown`. */
  status: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The value at a dotted path; undefined when any step is absent or null, an error when a step is not an object. */
function at(object: unknown, path: string): unknown {
  let value = object;
  let walked = '';
  for (const key of path.split('.')) {
    if (value === undefined || value === null) return undefined;
    if (!isRecord(value)) throw new MalformedObjectError(`${walked} is not an object`);
    value = value[key];
    walked = walked ? `${walked}.${key}` : key;
  }
  return value ?? undefined;
}

export function int(object: unknown, path: string): number | undefined {
  const value = at(object, path);
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new MalformedObjectError(`${path} is not an integer`);
  return value;
}

export function str(object: unknown, path: string): string | undefined {
  const value = at(object, path);
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new MalformedObjectError(`${path} is not a string`);
  return value;
}

export function bool(object: unknown, path: string): boolean {
  const value = at(object, path);
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new MalformedObjectError(`${path} is not a boolean`);
  return value;
}

/** The array at `path` (empty when absent), each element an object. */
export function records(object: unknown, path: string): Record<string, unknown>[] {
  const value = at(object, path);
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every(isRecord)) throw new MalformedObjectError(`${path} is not a list of objects`);
  return value;
}

/** `status.conditions`, checked for shape. */
export function conditionsOf(object: KubeObject): Condition[] {
  return records(object, 'status.conditions').map((c, i) => {
    const type = str(c, 'type');
    const status = str(c, 'status');
    if (type === undefined || status === undefined) throw new MalformedObjectError(`status.conditions[${i}] has no type or status`);
    return { type, status, reason: str(c, 'reason'), message: str(c, 'message'), observedGeneration: int(c, 'observedGeneration') };
  });
}

/** The condition of a type whose status is `True`. */
export function trueCondition(conditions: readonly Condition[], type: string): Condition | undefined {
  return conditions.find((c) => c.type === type && c.status === 'True');
}

/** One line, at most `max` characters, without a trailing period: condition messages can be long and multi-line. */
export function clip(text: string, max = 160): string {
  const line = text.replace(/\s+/g, ' ').trim().replace(/\.$/, '');
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** `Reason: message`, either part optional. */
export function reasonAndMessage(c: { reason?: string | undefined; message?: string | undefined }, fallback: string): string {
  const message = c.message ? clip(c.message) : '';
  if (c.reason && message) return `${c.reason}: ${message}`;
  return c.reason || message || fallback;
}

/**
 * Progressing while the controller has not yet seen the latest spec: every other status field
 * describes an older generation. `required`: the kind always reports `status.observedGeneration`,
 * so its absence means "not observed yet" (kubectl rollout status treats 0 the same way).
 */
export function unobservedGeneration(object: KubeObject, required: boolean): Health | undefined {
  const generation = int(object, 'metadata.generation');
  const observed = int(object, 'status.observedGeneration');
  if (generation === undefined || (observed === undefined && !required)) return undefined;
  if ((observed ?? 0) < generation) return progressing(`waiting for the controller to observe generation ${generation}`);
  return undefined;
}

/** `1 pod` / `2 pods`. */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
