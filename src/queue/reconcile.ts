import type { TargetConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import { announce } from '../report/announce.js';
import type { Runtime } from '../runtime.js';
import { apply } from '../sync/apply.js';
import { isWrite, summarize, type Change } from '../sync/changeset.js';
import { ensureCommits, isAncestor, remoteHead } from '../sync/fetch.js';
import { planRevision } from '../sync/pipeline.js';
import { prune } from '../sync/prune.js';
import { jobId, type SyncJobData, type Trigger } from './jobs.js';

/** Name of the repeating job that reconciles a target. */
export const reconcileJobName = 'reconcile';

/**
 * One repeating reconcile job per target (`reconcile.interval`), and none for targets that left
 * the configuration.
 */
export async function scheduleReconciles(rt: Runtime): Promise<void> {
  const wanted = new Set<string>();
  for (const target of rt.config.targets) {
    const id = jobId('reconcile', target.name);
    wanted.add(id);
    const data: SyncJobData = { target: target.name, trigger: { kind: 'schedule', deliveryId: id, actor: 'driftless' } };
    await rt.queues.sync.upsertJobScheduler(id, { every: target.reconcile.interval }, { name: reconcileJobName, data, opts: { attempts: 1 } });
  }
  for (const scheduler of await rt.queues.sync.getJobSchedulers()) {
    if (scheduler.key.startsWith('reconcile.') && !wanted.has(scheduler.key)) await rt.queues.sync.removeJobScheduler(scheduler.key);
  }
}

export type ReconcileOutcome =
  | { result: 'missed push'; head: string }
  | { result: 'nothing deployed' }
  | { result: 'in sync'; sha: string }
  | { result: 'drifted' | 'healed'; sha: string; drift: Change[] };

/**
 * The loop between pushes, run under the target's lock. First, missed pushes: when the branch
 * head is neither the deployed revision nor behind it, it becomes a pending revision and the
 * caller deploys it. Otherwise the deployed revision is planned against the live cluster: objects
 * changed or deleted by hand are drift, recorded and (with `drift: heal`) corrected by
 * server-side apply.
 */
export async function reconcileTarget(rt: Runtime, target: TargetConfig, trigger: Trigger, log: Logger): Promise<ReconcileOutcome> {
  const state = await rt.revisions.state(target.name);
  const probe = await rt.source(target, state.deployedSha ?? '');
  const head = await remoteHead(probe.cloneUrl, target.branch, probe.credentials);
  if (head && head !== state.deployedSha) {
    await ensureCommits({ cacheDir: rt.config.git.cacheDir, cloneUrl: probe.cloneUrl, credentials: probe.credentials, shas: [head] });
    const behind = state.deployedSha ? await isAncestor(rt.config.git.cacheDir, probe.cloneUrl, head, state.deployedSha) : false;
    if (!behind) {
      log.info({ head }, 'branch head was never deployed (a lost webhook?): deploying it');
      const multi = rt.redis.multi();
      rt.revisions.addPending(multi, target.name, { sha: head, receivedAt: Date.now(), trigger });
      await multi.exec();
      return { result: 'missed push', head };
    }
  }
  if (!state.deployedSha) return { result: 'nothing deployed' };

  const sha = state.deployedSha;
  const startedAt = Date.now();
  const { client, discovery } = rt.cluster(target.cluster);
  const deps = { kube: client, discovery, cacheDir: rt.config.git.cacheDir, log };
  const { plan, ctx } = await planRevision(await rt.source(target, sha), deps);
  const drift = [...plan.objects.map((o) => o.change), ...plan.prunable.map((p) => p.change)].filter(isWrite);
  rt.metrics.driftedObjects.set({ target: target.name }, drift.length);
  if (drift.length === 0) return { result: 'in sync', sha };

  const heal = target.reconcile.drift === 'heal';
  if (heal) {
    await apply(plan, ctx);
    await prune(plan, ctx);
  }
  const result = heal ? 'healed' : 'drifted';
  const subjects = drift.map((c) => `${c.subject} (${c.action === 'created' ? 'missing' : c.action === 'deleted' ? 'not in Git' : 'changed'})`);
  const message = `${heal ? 'healed' : 'drift'}: ${subjects.join(', ')}`;
  log.warn({ drift: subjects, healed: heal }, heal ? 'drift healed' : 'drift detected');
  await rt.history.record({
    target: target.name,
    revision: sha,
    trigger,
    result,
    summary: summarize(drift),
    message,
    timings: {},
    startedAt,
    finishedAt: Date.now(),
  });
  await announce(rt, target, { type: 'Warning', reason: heal ? 'DriftHealed' : 'DriftDetected', message }, { event: 'drift', revision: sha, message, deliveryId: trigger.deliveryId }, log);
  return { result, sha, drift };
}
