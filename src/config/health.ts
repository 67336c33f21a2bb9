// A target's health settings: whether load balancer addresses are awaited, and custom checks in
// CEL per group/kind, after Flux's `healthCheckExprs` (kustomize-controller, fluxcd/pkg runtime/cel).
// The CEL environment lives here so that config load and the health checks compile alike.
import { Environment, type ParseResult } from '@marcbachmann/cel-js';
import { z } from 'zod';
import { bool } from './fields.js';

/**
 * Budgets of one custom check, so a check can neither stall a worker nor grow without bound:
 * the text of an expression, its syntax tree (size and nesting, enforced by the parser), and the
 * wall time of evaluating all of an object's expressions (enforced by `evaluateWithin` in
 * sync/health/custom.ts). CEL has no loops, but nested macros over long lists are polynomial.
 */
export const celBudget = {
  /** Characters of one expression. */
  maxLength: 2_000,
  /** Nodes of one expression's syntax tree. */
  maxAstNodes: 500,
  /** Nesting of calls, selections and literals. */
  maxDepth: 32,
  /** Milliseconds for evaluating one object's expressions together. */
  evaluateMs: 100,
} as const;

/**
 * Identifiers are the object's top-level fields (`status`, `spec`, `metadata`, ...), as in Flux, so
 * they are undeclared and dynamic. Optional field access (`status.?phase.orValue('')`) is on, as
 * Flux enables it; mixed list literals are allowed because Kubernetes fields mix types freely.
 */
const environment = new Environment({
  unlistedVariablesAreDyn: true,
  enableOptionalTypes: true,
  homogeneousAggregateLiterals: false,
  limits: { maxAstNodes: celBudget.maxAstNodes, maxDepth: celBudget.maxDepth, maxListElements: 100, maxMapEntries: 100, maxCallArguments: 8 },
});

/** A compiled expression: call it with the object's top-level fields; it returns what the expression returns. */
export type CelProgram = ParseResult;

/**
 * Parses and type-checks one health expression. The result is a program, or the problem in one
 * line (`does not compile: Unexpected token: EOF (at column 11)`) when the text is too long, does not parse, exceeds
 * the syntax budget, or cannot return a bool (an expression of type `dyn` may, and is checked
 * again when evaluated).
 */
export function compileHealthExpression(text: string): { program: CelProgram } | { problem: string } {
  if (text.trim() === '') return { problem: 'must not be empty' };
  if (text.length > celBudget.maxLength) return { problem: `is ${text.length} characters long (at most ${celBudget.maxLength})` };
  let program: CelProgram;
  try {
    program = environment.parse(text);
  } catch (err) {
    return { problem: `does not compile: ${celErrorLine(err)}` };
  }
  const checked = program.check();
  if (!checked.valid) return { problem: `does not compile: ${celErrorLine(checked.error)}` };
  if (checked.type !== 'bool' && checked.type !== 'dyn') return { problem: `must return a bool, not ${checked.type}` };
  return { program };
}

/** The first line of a CEL error, with the column it points at (the library draws it on later lines). */
export function celErrorLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const [first = ''] = message.split('\n');
  const start = (err as { node?: { start?: number } } | undefined)?.node?.start;
  return typeof start === 'number' ? `${first} (at column ${start + 1})` : first;
}

/** The three expressions, in Flux's names and evaluation order. */
export const healthExpressionKeys = ['inProgress', 'failed', 'current'] as const;
export type HealthExpressionKey = (typeof healthExpressionKeys)[number];

const expression = z.string().min(1);

/**
 * One custom check, as one entry of Flux's `healthCheckExprs`: `apiVersion` selects the group
 * (its version is ignored); `kind` one kind of it, or every kind of the group when absent (a
 * check with a kind wins over one without). `current` is required; `inProgress` and `failed`
 * are optional.
 */
export const healthCheckSchema = z.strictObject({
  /** `group/version` or `version` for the core group; only the group is matched. */
  apiVersion: z.string().regex(/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?v[0-9][a-z0-9]*$/, 'expected an apiVersion such as cert-manager.io/v1'),
  kind: z.string().regex(/^[A-Z][A-Za-z0-9]*$/, 'expected a kind such as Certificate').optional(),
  /** True when the object is what its spec asks for: Healthy. */
  current: expression,
  /** True while the object is still being reconciled: Progressing. Evaluated first. */
  inProgress: expression.optional(),
  /** True when the object failed: Degraded, which fails the deploy at once. Evaluated second. */
  failed: expression.optional(),
});

/** `targets[].health`. */
export const healthSchema = z.strictObject({
  /**
   * Whether a `LoadBalancer` Service and an Ingress are healthy only once they have an address
   * (as in Argo CD). Turn off for clusters without a load balancer controller; one object opts
   * out with the annotation `driftless.io/health-check: disabled`.
   */
  loadBalancerAddresses: bool().default(true),
  /** Custom checks in CEL; they replace the built-in check of the kinds they match. */
  checks: z.array(healthCheckSchema).default([]),
});

export type HealthCheckConfig = z.output<typeof healthCheckSchema>;
export type HealthConfig = z.output<typeof healthSchema>;

/** The group of an apiVersion: `cert-manager.io/v1` → `cert-manager.io`, `v1` → `` (core). */
export function groupOfApiVersion(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** `cert-manager.io/Certificate`, `cert-manager.io/*` for a group-wide check. */
export function checkSubject(check: Pick<HealthCheckConfig, 'apiVersion' | 'kind'>): string {
  return `${groupOfApiVersion(check.apiVersion) || 'core'}/${check.kind ?? '*'}`;
}

/**
 * Everything wrong with a target's checks, for `ConfigError`: each expression that does not
 * compile, by the check's group/kind and the expression's name, and checks that select the same
 * group/kind twice. Paths are relative to `health`.
 */
export function healthCheckProblems(health: HealthConfig): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const seen = new Map<string, number>();
  health.checks.forEach((check, i) => {
    const subject = checkSubject(check);
    const previous = seen.get(subject);
    if (previous !== undefined) problems.push({ path: ['checks', i], message: `a second check for ${subject} (also checks[${previous}])` });
    else seen.set(subject, i);
    for (const key of healthExpressionKeys) {
      const text = check[key];
      if (text === undefined) continue;
      const compiled = compileHealthExpression(text);
      if ('problem' in compiled) problems.push({ path: ['checks', i, key], message: `${subject}: ${key} ${compiled.problem}` });
    }
  });
  return problems;
}
