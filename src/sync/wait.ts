import { setTimeout as sleep } from 'node:timers/promises';
import pLimit from 'p-limit';
import { ManifestError } from '../errors.js';
import { getObject } from '../kube/objects.js';
import { appliesObject } from './changeset.js';
import { healthOf, mayBecomeUnhealthy, type HealthEntry, type HealthOptions } from './health/index.js';
import type { PlanContext, PlannedObject } from './plan.js';

export interface WaitOptions {
  timeoutMs: number;
  /** Time between polls. */
  intervalMs?: number;
  /** Called when the number of healthy objects changes. */
  onProgress?: (healthy: number, total: number) => Promise<void> | void;
  /** Stops waiting (throws the abort reason) when aborted. */
  signal?: AbortSignal;
  /** The target's custom checks and whether load balancer addresses are awaited (`targets[].health`). */
  health?: HealthOptions;
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
  const limit = pLimit(ctx.policy.concurrency);
  let lastHealthy = -1;
  for (;;) {
    const entries = await Promise.all(
      watched.map((o) =>
        limit(async (): Promise<HealthEntry> => ({
          subject: o.change.subject,
          health: healthOf(await getObject(ctx.client, o.info, o.desired.metadata.namespace, o.desired.metadata.name), options.health),
        })),
      ),
    );
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
    await sleep(options.intervalMs ?? 1_000, undefined, { signal: options.signal });
  }
}
