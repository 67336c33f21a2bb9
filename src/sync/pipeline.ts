import type { TargetConfig } from '../config/schema.js';
import { DriftlessError, ManifestError } from '../errors.js';
import type { KubeClient } from '../kube/client.js';
import { KubeApiError } from '../kube/client.js';
import type { Discovery } from '../kube/discovery.js';
import type { Logger } from '../log.js';
import { inSpan } from '../tracing.js';
import { apply, InterruptedApplyError, PartialApplyError } from './apply.js';
import type { Change } from './changeset.js';
import { fetchRevision, type Checkout } from './fetch.js';
import type { GitSource } from '../model/git.js';
import { applySetParent } from './inventory.js';
import { plan, type Plan, type PlanContext } from './plan.js';
import { prune } from './prune.js';
import { renderManifests, type Rendered } from './render/index.js';
import { chooseRenderer } from './render/helm-target.js';
import { needsWholeTree, targetScope } from './render/scope.js';
import { RenderedCache } from './rendered-cache.js';
import { planHooks, runHooks, splitHooks, type PlannedHook } from './hooks.js';
import { waitHealthy, type WaitOptions } from './wait.js';
import type { SyncStage } from '../model/revision.js';

/** Where a target's manifests come from and where they go. */
export interface SyncSource extends GitSource {
  target: TargetConfig;
  sha: string;
}

export interface SyncDeps {
  kube: KubeClient;
  discovery: Discovery;
  cacheDir: string;
  log: Logger;
  /** Called between stages so the commit status can follow the sync. */
  onStage?: (stage: SyncStage) => Promise<void> | void;
  /** Called while waiting, whenever the number of healthy objects changes. */
  onHealthProgress?: (healthy: number, total: number) => Promise<void> | void;
  /** Aborted when the worker shuts down and hands the job back: the sync stops between steps. */
  signal?: AbortSignal;
  /** The cluster-wide guard around creating objects (PlanContext.serializeCreates). */
  serializeCreates?: PlanContext['serializeCreates'];
  /** The target's health settings for the wait: custom checks, load balancer addresses. */
  health?: WaitOptions['health'];
}

export interface SyncResult {
  changes: Change[];
  /** Milliseconds per stage. */
  timings: Partial<Record<SyncStage, number>>;
}

/**
 * A stage failed. `permanent` comes from the cause: what is in Git (invalid manifests, policy)
 * fails for good; an unreachable API server or git host is worth retrying.
 */
export class SyncStageError extends DriftlessError {
  override readonly permanent: boolean;
  constructor(
    readonly stage: SyncStage,
    override readonly cause: unknown,
    readonly timings: SyncResult['timings'],
    /** What was already written when apply or prune failed part-way. */
    readonly applied: readonly Change[] = [],
  ) {
    // a ManifestError already names its stage and every object
    super(cause instanceof ManifestError ? cause.message : `${stage} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.permanent = (cause instanceof DriftlessError && cause.permanent) || (cause instanceof KubeApiError && cause.permanent);
  }
}

function planContext(target: TargetConfig, deps: SyncDeps): PlanContext {
  return {
    client: deps.kube,
    discovery: deps.discovery,
    parent: applySetParent(target.name, target.inventoryNamespace),
    policy: {
      namespace: target.namespace,
      allowedNamespaces: target.allowedNamespaces,
      allowClusterScoped: target.allowClusterScoped,
      prune: target.prune,
      concurrency: target.concurrency,
      ownership: target.ownership,
    },
    serializeCreates: deps.serializeCreates,
  };
}

/** Runs one stage, in its own span, timing it and tagging any failure with the stage's name. */
export async function stage<T>(name: SyncStage, timings: SyncResult['timings'], deps: SyncDeps, work: () => Promise<T>): Promise<T> {
  deps.signal?.throwIfAborted();
  return inSpan(`sync ${name}`, { attributes: { 'driftless.stage': name } }, async () => {
    await deps.onStage?.(name);
    const started = performance.now();
    try {
      return await work();
    } catch (err) {
      // what apply wrote before it failed travels with the failure, whatever its cause
      if (err instanceof InterruptedApplyError) throw new SyncStageError(name, err.cause, timings, err.applied);
      throw new SyncStageError(name, err, timings, err instanceof PartialApplyError ? err.applied : []);
    } finally {
      timings[name] = Math.round(performance.now() - started);
      deps.log.debug({ stage: name, ms: timings[name] }, 'stage finished');
    }
  });
}

/**
 * Rendered manifests of recent commits, per process: a resync of the deployed commit skips fetch
 * and render. 32 MiB of objects' JSON holds a 1,000-target fleet of 20 small objects each.
 */
const rendered = new RenderedCache(32 * 1024 * 1024);

/** Targets (`render: auto`) whose last render needed the whole tree: they check it all out at once. */
const wholeTreeTargets = new Set<string>();

/** A revision planned against the live cluster, and the repository files its render read. */
export interface PlannedRevision {
  plan: Plan;
  ctx: PlanContext;
  read: string[];
  /** Helm hooks of the render, kept out of the plan (and so out of drift and the inventory): applyPlan runs them. */
  hooks: PlannedHook[];
}

/** plan() of a render's objects, and its hooks resolved against the target's policy. */
async function planRendered(output: Rendered, ctx: PlanContext): Promise<{ plan: Plan; hooks: PlannedHook[] }> {
  const { objects, hooks, problems } = splitHooks(output.manifests);
  if (problems.length > 0) throw new ManifestError('plan', problems);
  return { plan: await plan(objects, ctx), hooks: await planHooks(hooks, ctx) };
}

/**
 * The commit checked out for the target's render: only the target's path when its render reads
 * nothing else (plain manifests without links), which spares a monorepo's every target writing
 * every other target's files; the whole tree otherwise.
 */
async function checkoutFor(source: SyncSource, deps: SyncDeps): Promise<Checkout> {
  const { target } = source;
  const scope = targetScope(target.path);
  // kustomize and charts always read the whole tree; what `auto` found last time is its best guess
  const partial = scope !== undefined && target.render !== 'kustomize' && target.render !== 'helm' && !wholeTreeTargets.has(target.name);
  const checkout = await fetchRevision({ cacheDir: deps.cacheDir, cloneUrl: source.cloneUrl, credentials: source.credentials, sha: source.sha, scope: partial ? scope : undefined });
  try {
    // read only under the target's path, which every checkout holds
    const whole = scope !== undefined && (await needsWholeTree(target.render, checkout.dir, scope));
    if (whole) wholeTreeTargets.add(target.name);
    else wholeTreeTargets.delete(target.name);
    if (whole && checkout.scope !== undefined) await checkout.widen();
    return checkout;
  } catch (err) {
    await checkout.remove();
    throw err;
  }
}

/** fetch → render → plan: what the sync would do, without writing anything to the cluster. */
export async function planRevision(source: SyncSource, deps: SyncDeps, timings: SyncResult['timings'] = {}): Promise<PlannedRevision> {
  const { target } = source;
  // a commit renders the same every time (kustomize runs without exec plugins or network); a
  // chart does not (it renders against the cluster's API versions), and is not kept
  const cacheKey = `${source.cloneUrl}\0${source.sha}\0${target.path}\0${target.render}\0${target.name}\0${target.namespace}`;
  const cached = rendered.get(cacheKey);
  if (cached) {
    const ctx = planContext(target, deps);
    const result = await stage('plan', timings, deps, () => planRendered(cached, ctx));
    return { ...result, ctx, read: cached.read };
  }
  const checkout = await stage('fetch', timings, deps, () => checkoutFor(source, deps));
  try {
    const { output, helm } = await stage('render', timings, deps, async () => {
      const renderer = await chooseRenderer(target, checkout.dir, deps.kube, deps.cacheDir);
      return { output: await renderManifests({ checkoutDir: checkout.dir, path: target.path, limits: target.renderLimits, ...renderer }), helm: renderer.helm !== undefined };
    });
    if (!helm) rendered.set(cacheKey, output);
    const ctx = planContext(target, deps);
    const result = await stage('plan', timings, deps, () => planRendered(output, ctx));
    return { ...result, ctx, read: output.read };
  } finally {
    await checkout.remove();
  }
}

/**
 * apply → prune → wait: writes a plan and waits until what changed is healthy. One ChangeSet
 * comes out; a failure after writes carries what was written (`SyncStageError.applied`).
 * `hooks` run around it: PreSync hooks in the apply stage before the main set (a failed one
 * stops the sync before the main set changes), PostSync hooks in the wait stage once it is healthy.
 */
export async function applyPlan(planned: Plan, ctx: PlanContext, waitTimeoutMs: number, deps: SyncDeps, timings: SyncResult['timings'] = {}, hooks: readonly PlannedHook[] = []): Promise<SyncResult> {
  const hookOptions = (hookStage: 'apply' | 'wait') => ({ timeoutMs: waitTimeoutMs, stage: hookStage, health: deps.health, signal: deps.signal });
  const applied = await stage('apply', timings, deps, async () => [...(await runHooks('PreSync', hooks, ctx, hookOptions('apply'))), ...(await apply(planned, ctx))]);
  const pruned = await stage('prune', timings, deps, () => prune(planned, ctx));
  const changes = [...applied, ...pruned];
  try {
    await stage('wait', timings, deps, async () => {
      await waitHealthy(planned.objects, ctx, { timeoutMs: waitTimeoutMs, onProgress: deps.onHealthProgress, signal: deps.signal, health: deps.health });
      changes.push(...(await runHooks('PostSync', hooks, ctx, hookOptions('wait'))));
    });
  } catch (err) {
    // the writes happened: a failed health check reports them too
    throw err instanceof SyncStageError ? new SyncStageError('wait', err.cause, timings, changes) : err;
  }
  return { changes, timings };
}
