import { ManifestError } from '../errors.js';
import type { Logger } from '../log.js';
import { jobId, type PreviewJobData } from '../queue/jobs.js';
import { previewContext, statusJob } from '../report/status.js';
import type { Runtime } from '../runtime.js';
import { describePlan, summarize } from '../sync/changeset.js';
import { planRevision, SyncStageError } from '../sync/pipeline.js';
import { planChangeSet } from '../sync/plan.js';

/**
 * The preview of a pull request's head for one target: render and server-side dry run against
 * the live cluster, a diff per object, every policy violation. It never writes to the cluster.
 * The result goes to the `driftless/<target>/diff` status and into the PR comment.
 */
export async function runPreview(rt: Runtime, data: PreviewJobData, log: Logger): Promise<unknown> {
  const target = rt.target(data.target);
  if (!target) return { skipped: `target ${data.target} is not in the configuration` };
  const status = (state: 'pending' | 'success' | 'failure', description: string, phase: 'queued' | 'terminal') => {
    const j = statusJob({ target: target.name, repo: target.repo.path, sha: data.sha, trigger: { deliveryId: data.deliveryId }, context: previewContext(target.name) }, phase, state, description);
    return rt.queues.report.add(j.name, j.data, j.opts);
  };
  await status('pending', 'planning', 'queued');
  const { client, discovery } = rt.cluster(target.cluster);
  const at = new Date().toISOString();
  try {
    const { plan } = await planRevision(await rt.source(target, data.sha), { kube: client, discovery, cacheDir: rt.config.git.cacheDir, log });
    const changes = planChangeSet(plan);
    const description = describePlan(summarize(changes));
    await rt.pulls.setPreview(data.pr, target.name, { sha: data.sha, at, outcome: 'planned', changes });
    await status('success', description, 'terminal');
    log.info({ summary: summarize(changes) }, 'preview planned');
  } catch (err) {
    if (!(err instanceof SyncStageError && err.permanent)) throw err;
    const problems = err.cause instanceof ManifestError ? [...err.cause.problems] : [];
    await rt.pulls.setPreview(data.pr, target.name, { sha: data.sha, at, outcome: 'failed', problems, message: err.message });
    await status('failure', err.message, 'terminal');
    log.info({ err: err.message }, 'preview failed');
  }
  await rt.queues.report.add('comment', { pr: data.pr }, { jobId: jobId('comment', data.pr.provider, data.pr.repo, String(data.pr.number), data.deliveryId, target.name) });
  return { previewed: target.name };
}
