import vm from 'node:vm';
import {
  celBudget,
  celErrorLine,
  checkSubject,
  compileHealthExpression,
  healthExpressionKeys,
  type CelProgram,
  type HealthCheckConfig,
  type HealthExpressionKey,
} from '../../config/health.js';
import { groupOf } from '../../kube/keys.js';
import type { KubeObject } from '../../kube/objects.js';
import { clip, conditionsOf, reasonAndMessage, type Condition } from './fields.js';
import { degraded, healthy, progressing, type Health } from './types.js';

/** The annotations that replace a target's check for one object, one per expression. */
export const expressionAnnotations: Record<HealthExpressionKey, string> = {
  inProgress: 'driftless.io/health-check-in-progress',
  failed: 'driftless.io/health-check-failed',
  current: 'driftless.io/health-check-current',
};

/** A custom check chosen for one object: where it comes from (for messages) and its expressions. */
export interface CustomCheck {
  /** `annotations` or the check's group/kind, e.g. `check cert-manager.io/Certificate`. */
  source: string;
  expressions: Partial<Record<HealthExpressionKey, string>>;
}

/**
 * The custom check for an object, if any: its own annotations win, then the target's check for
 * its group and kind, then the target's check for its whole group (Flux's precedence). The
 * version of `apiVersion` is ignored on both sides.
 */
export function customCheckFor(object: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>, checks: readonly HealthCheckConfig[]): CustomCheck | undefined {
  const annotations = object.metadata.annotations ?? {};
  const fromAnnotations: CustomCheck['expressions'] = {};
  for (const key of healthExpressionKeys) {
    const text = annotations[expressionAnnotations[key]];
    if (text !== undefined) fromAnnotations[key] = text;
  }
  if (Object.keys(fromAnnotations).length > 0) return { source: 'annotations', expressions: fromAnnotations };

  const group = groupOf(object.apiVersion);
  const sameGroup = checks.filter((c) => groupOf(c.apiVersion) === group);
  const check = sameGroup.find((c) => c.kind === object.kind) ?? sameGroup.find((c) => c.kind === undefined);
  if (!check) return undefined;
  return { source: `check ${checkSubject(check)}`, expressions: { inProgress: check.inProgress, failed: check.failed, current: check.current } };
}

/** Compiled programs by their text: the target's checks and annotations repeat on every poll. */
const programs = new Map<string, ReturnType<typeof compileHealthExpression>>();
const programsKept = 256;

function compiled(text: string): ReturnType<typeof compileHealthExpression> {
  let result = programs.get(text);
  if (!result) {
    result = compileHealthExpression(text);
    // annotations bring arbitrary texts: forget the oldest rather than grow
    if (programs.size >= programsKept) programs.delete(programs.keys().next().value!);
    programs.set(text, result);
  }
  return result;
}

/** The evaluation in flight; the sandbox calls it, so a runaway one is stopped by the vm timeout. */
let pending: (() => unknown) | undefined;
const sandbox = vm.createContext({ evaluate: () => pending?.() });
const call = new vm.Script('evaluate()');

/** Thrown when an object's expressions ran past `celBudget.evaluateMs`. */
export class BudgetExceededError extends Error {
  override name = 'BudgetExceededError';
}

/**
 * Runs `work` synchronously with a wall-clock limit. CEL cannot loop, but macros nested over long
 * lists (or a `matches` regex that backtracks) can run for minutes; node's vm timeout interrupts
 * any JavaScript running under it, the library's included.
 */
export function evaluateWithin<T>(ms: number, work: () => T): T {
  pending = work;
  try {
    return call.runInContext(sandbox, { timeout: ms }) as T;
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw new BudgetExceededError(`ran past its budget of ${ms}ms`);
    throw err;
  } finally {
    pending = undefined;
  }
}

/**
 * The object as CEL sees it, as in Flux: each top-level field a variable, whole numbers as CEL
 * `int` (so `status.replicas + 1` works as in cel-go over unstructured objects), on a
 * null-prototype root so `toString` is not a variable.
 */
function activation(object: KubeObject): Record<string, unknown> {
  const convert = (value: unknown): unknown => {
    if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : value;
    if (Array.isArray(value)) return value.map(convert);
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convert(v)]));
    return value;
  };
  return Object.assign(Object.create(null) as Record<string, unknown>, convert(object));
}

type Outcome = { key: HealthExpressionKey; text: string } | { error: string } | undefined;

/**
 * Health from a custom check, after fluxcd/pkg `runtime/cel` StatusEvaluator:
 * 1. a stale `status.observedGeneration` (an integer that differs from `metadata.generation`) is Progressing;
 * 2. then `inProgress` → Progressing, `failed` → Degraded, `current` → Healthy: the first that is true wins;
 * 3. none true → Progressing.
 * Where it differs from Flux, and why: an expression that cannot be evaluated for this object
 * (a field not there yet, a non-bool result) is Unknown, naming the expression and the error,
 * and waiting goes on (Flux keeps waiting too); an expression that does not compile (only
 * possible in annotations: the config is checked at load), an annotation set without `current`,
 * or an evaluation past `celBudget.evaluateMs` is Degraded, so the deploy fails at once naming
 * the object, since waiting cannot fix it.
 */
export function customHealth(object: KubeObject, check: CustomCheck): Health {
  const label = (key: HealthExpressionKey) => `${key} (${check.source === 'annotations' ? `annotation ${expressionAnnotations[key]}` : check.source})`;
  if (check.expressions.current === undefined) return degraded(`${label('current')} is missing; the other health-check annotations need it`);

  const compiledChecks: { key: HealthExpressionKey; text: string; program: CelProgram }[] = [];
  for (const key of healthExpressionKeys) {
    const text = check.expressions[key];
    if (text === undefined) continue;
    const result = compiled(text);
    if ('problem' in result) return degraded(`${label(key)} ${result.problem}`);
    compiledChecks.push({ key, text, program: result.program });
  }

  const generation = object.metadata['generation'];
  const observed = (object.status as { observedGeneration?: unknown } | undefined)?.observedGeneration;
  if (Number.isInteger(observed) && Number.isInteger(generation) && observed !== generation) {
    return progressing(`waiting for the controller to observe generation ${String(generation)}`);
  }

  let outcome: Outcome;
  try {
    outcome = evaluateWithin(celBudget.evaluateMs, (): Outcome => {
      const variables = activation(object);
      for (const { key, text, program } of compiledChecks) {
        let value: unknown;
        try {
          value = program(variables);
        } catch (err) {
          return { error: `${label(key)} cannot be evaluated: ${celErrorLine(err)}` };
        }
        if (typeof value !== 'boolean') return { error: `${label(key)} returned ${describeValue(value)}, not a bool` };
        if (value) return { key, text };
      }
      return undefined;
    });
  } catch (err) {
    if (err instanceof BudgetExceededError) return degraded(`the custom health check (${check.source === 'annotations' ? 'annotations' : check.source}) ${err.message}`);
    throw err;
  }

  if (outcome === undefined) return progressing(`no health expression is true yet${detail(object, '')}`);
  if ('error' in outcome) return { status: 'Unknown', message: outcome.error };
  const said = `${label(outcome.key)}${detail(object, clip(outcome.text, 80))}`;
  if (outcome.key === 'inProgress') return progressing(said);
  if (outcome.key === 'failed') return degraded(said);
  return healthy(said);
}

/**
 * What the controller says, for the message: its Ready condition's reason and message, else a
 * `status.message` string (Argo Rollouts), else `fallback` (the expression that decided).
 */
function detail(object: KubeObject, fallback: string): string {
  let ready: Condition | undefined;
  try {
    ready = conditionsOf(object).find((c) => c.type === 'Ready');
  } catch {
    // a custom resource may shape its conditions its own way; the expressions judged it anyway
  }
  const message = (object.status as { message?: unknown } | undefined)?.message;
  const said = ready && (ready.reason || ready.message) ? reasonAndMessage(ready, '') : typeof message === 'string' && message ? clip(message) : fallback;
  return said ? `: ${said}` : '';
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'bigint') return 'an int';
  if (typeof value === 'number') return 'a double';
  if (typeof value === 'string') return 'a string';
  if (Array.isArray(value)) return 'a list';
  return `a ${typeof value === 'object' ? 'map' : typeof value}`;
}
