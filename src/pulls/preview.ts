import type { TargetConfig } from '../config/schema.js';
import { ManifestError } from '../errors.js';
import type { KubeClient } from '../kube/client.js';
import type { Discovery } from '../kube/discovery.js';
import { commentJob, type JobQueue, type PreviewJobData, type ReportJobs } from '../queue/jobs.js';
import type { JobContext } from '../queue/processor.js';
import { previewCheckJob, previewContext, statusJob } from '../report/status.js';
import type { PullStore } from '../store/pulls.js';
import { describePlan, summarize } from '../sync/changeset.js';
import { planRevision, SyncStageError, type SyncSource } from '../sync/pipeline.js';
import { planChangeSet } from '../sync/plan.js';

/** What a preview reads and writes: the target's cluster and repository, the PR's stored parts, the report queue. */
export interface PreviewDeps {
  target(name: string): TargetConfig | undefined;
  cluster(name: string): { client: KubeClient; discovery: Discovery };
  source(target: TargetConfig, sha: string): Promise<SyncSource>;
  cacheDir: string;
  pulls: Pick<PullStore, 'setPreview'>;
  reports: JobQueue<ReportJobs>;
}

/**
 * The preview of a pull request's head for one target: render and server-side dry run against
 * the live cluster, a diff per object, every policy violation. It never writes to the cluster.
 * The result goes to the `driftless/<target>/diff` check run (a GitHub App) or commit status,
 * and into the PR comment.
 */
export async function runPreview({ data, log }: Pick<JobContext<PreviewJobData>, 'data' | 'log'>, deps: PreviewDeps): Promise<unknown> {
  const target = deps.target(data.target);
  if (!target) return { skipped: `target ${data.target} is not in the configuration` };
  const input = { target: target.name, repo: target.repo.path, sha: data.sha, trigger: { deliveryId: data.deliveryId } };
  const queued = statusJob({ ...input, context: previewContext(target.name) }, 'queued', 'pending', 'planning');
  // each preview is a new run of its check
  await deps.reports.add(queued.name, { ...queued.data, run: data.deliveryId }, queued.opts);
  // stored first: the check job reads the plan from the pull request's parts
  const result = (state: 'success' | 'failure', description: string) => {
    const j = previewCheckJob({ ...input, pr: data.pr }, state, description);
    return deps.reports.add(j.name, j.data, j.opts);
  };
  const { client, discovery } = deps.cluster(target.cluster);
  const at = new Date().toISOString();
  try {
    const { plan } = await planRevision(await deps.source(target, data.sha), { kube: client, discovery, cacheDir: deps.cacheDir, log });
    const changes = planChangeSet(plan);
    const description = describePlan(summarize(changes));
    await deps.pulls.setPreview(data.pr, target.name, { sha: data.sha, at, outcome: 'planned', changes });
    await result('success', description);
    log.info({ summary: summarize(changes) }, 'preview planned');
  } catch (err) {
    if (!(err instanceof SyncStageError && err.permanent)) throw err;
    const problems = err.cause instanceof ManifestError ? [...err.cause.problems] : [];
    await deps.pulls.setPreview(data.pr, target.name, { sha: data.sha, at, outcome: 'failed', problems, message: err.message });
    await result('failure', err.message);
    log.info({ err: err.message }, 'preview failed');
  }
  const render = commentJob(data.pr, data.pr.provider, data.pr.repo, String(data.pr.number), data.deliveryId, target.name);
  await deps.reports.add(render.name, render.data, render.opts);
  return { previewed: target.name };
}
