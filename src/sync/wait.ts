import { setTimeout as sleep } from 'node:timers/promises';
import pLimit from 'p-limit';
import { ManifestError } from '../errors.js';
import { resourcePath } from '../kube/discovery.js';
import { getObject, listObjects, type KubeObject } from '../kube/objects.js';
import { appliesObject } from './changeset.js';
import { healthOf, mayBecomeUnhealthy, type HealthEntry, type HealthOptions } from './health/index.js';
import { applySetKeys } from './inventory.js';
import type { PlanContext, PlannedObject } from './plan.js';

export interface WaitOptions {
  timeoutMs: number;
  /** Longest time between polls (1 s); the first re-check comes after 100 ms, then the pause doubles up to it. */
  intervalMs?: number;
  /** Called when the number of healthy objects changes. */
  onProgress?: (healthy: number, total: number) => Promise<void> | void;
  /** Stops waiting (throws the abort reason) when aborted. */
  signal?: AbortSignal;
  /** The target's custom checks and whether load balancer addresses are awaited (`targets[].health`). */
  health?: HealthOptions;
}

const firstIntervalMs = 100;

/**
 * Reads the watched objects: members of the ApplySet with one labelled LIST per kind and
 * namespace where that saves requests (two or more of them there), anything else, and a member
 * the LIST did not return, with a GET.
 */
async function readWatched(watched: readonly PlannedObject[], ctx: PlanContext): Promise<(KubeObject | undefined)[]> {
  const limit = pLimit(ctx.policy.concurrency);
  const selector = `${applySetKeys.partOf}=${ctx.parent.id}`;
  const groups = new Map<string, PlannedObject[]>();
  for (const o of watched) {
    if (o.desired.metadata.labels?.[applySetKeys.partOf] !== ctx.parent.id) continue;
    const key = resourcePath(o.info, o.desired.metadata.namespace);
    groups.set(key, [...(groups.get(key) ?? []), o]);
  }
  const listed = new Map<PlannedObject, KubeObject>();
  await Promise.all(
    [...groups.values()]
      .filter((members) => members.length > 1)
      .map((members) =>
        limit(async () => {
          const { info, desired } = members[0]!;
          const byName = new Map((await listObjects(ctx.client, info, desired.metadata.namespace, selector)).map((live) => [`${live.metadata.namespace ?? ''}/${live.metadata.name}`, live]));
          for (const o of members) {
            const live = byName.get(`${info.namespaced ? (o.desired.metadata.namespace ?? '') : ''}/${o.desired.metadata.name}`);
            if (live) listed.set(o, live);
          }
        }),
      ),
  );
  return Promise.all(watched.map((o) => listed.get(o) ?? limit(() => getObject(ctx.client, o.info, o.desired.metadata.namespace, o.desired.metadata.name))));
}

/** Suspended objects (a paused rollout, a suspended Job) are as done as Git asked them to be. */
const done = (e: HealthEntry) => e.health.status === 'Healthy' || e.health.status === 'Suspended';

/**
 * Polls the objects this sync wrote until every one is healthy. A Degraded object (a rollout
 * past its progress deadline, a failed Job) fails at once; at the timeout the failure names
 * every object still not healthy and why. Both are permanent: retrying the same commit would
 * not make it healthy.
 */
export async function waitHealthy(objects: readonly PlannedObject[], ctx: PlanContext, options: WaitOptions): Promise<HealthEntry[]> {
  const watched = objects.filter((o) => appliesObject(o.change) && mayBecomeUnhealthy(o.desired, options.health));
  const deadline = Date.now() + options.timeoutMs;
  const maxIntervalMs = options.intervalMs ?? 1_000;
  let intervalMs = Math.min(firstIntervalMs, maxIntervalMs);
  let lastHealthy = -1;
  for (;;) {
    const lives = await readWatched(watched, ctx);
    const entries = watched.map((o, i): HealthEntry => ({ subject: o.change.subject, health: healthOf(lives[i], options.health) }));
    const healthy = entries.filter(done).length;
    if (healthy !== lastHealthy) {
      lastHealthy = healthy;
      await options.onProgress?.(healthy, entries.length);
    }
    if (healthy === entries.length) return entries;
    const degraded = entries.filter((e) => e.health.status === 'Degraded');
    const timedOut = Date.now() >= deadline;
    if (degraded.length > 0 || timedOut) {
      const stuck = degraded.length > 0 ? degraded : entries.filter((e) => !done(e));
      const fileOf = (subject: string) => watched.find((o) => o.change.subject === subject)?.manifest.file ?? '';
      throw new ManifestError(
        'wait',
        stuck.map((e) => ({
          subject: e.subject,
          file: fileOf(e.subject),
          message: `${e.health.status}${timedOut && degraded.length === 0 ? ` after ${Math.round(options.timeoutMs / 1000)}s` : ''}: ${e.health.message}`,
        })),
      );
    }
    // most objects are ready within a moment of their apply: look again soon, then less often
    await sleep(intervalMs, undefined, { signal: options.signal });
    intervalMs = Math.min(intervalMs * 2, maxIntervalMs);
  }
}
