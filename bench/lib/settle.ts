import type { BenchContext } from './context.js';
import { sleep } from './stats.js';

/**
 * With the controllers running, creating Deployments starts ReplicaSets and Pods. Before the
 * next measured phase, wait until they are rolled out, so one tool's aftermath does not load
 * the API server during the other's window.
 */
export async function settle(ctx: BenchContext, namespaces: readonly string[], set: string, timeoutMs = 180_000): Promise<void> {
  if (!ctx.env.controllers) return;
  const started = performance.now();
  let left = await ctx.admin.rollingOut(namespaces, set);
  while (left > 0) {
    if (performance.now() - started > timeoutMs) {
      ctx.progress(`settle: ${left} Deployments of ${set} still rolling out after ${timeoutMs / 1000} s; going on`);
      return;
    }
    await sleep(500);
    left = await ctx.admin.rollingOut(namespaces, set);
  }
  const ms = performance.now() - started;
  if (ms > 1000) ctx.progress(`settle: Deployments of ${set} in ${namespaces.length} namespace(s) rolled out after ${Math.round(ms)} ms`);
}
