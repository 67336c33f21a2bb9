import type { TargetConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Trigger } from '../model/trigger.js';
import type { SyncStage } from '../model/revision.js';
import type { PullRef } from '../model/pull.js';
import type { TargetSection } from '../model/pull-comment.js';
import type { StatusState } from '../model/status.js';
import { commentJob, jobId, type DeploymentJobData } from '../queue/jobs.js';
import type { PullStore } from '../store/pulls.js';
import { describeSummary, type ChangeSummary } from '../sync/changeset.js';
import { progressLine } from '../sync/health/index.js';
import type { ReconcileObserver, Run, RunFailure } from '../sync/reconciler.js';
import { announce, type AnnounceDeps } from './announce.js';
import { statusJob, type StatusPhase } from './status.js';

/** What reporting a sync writes to: the report queue, the PRs' stored parts, the target's cluster (Events), the receivers. */
export interface SyncReportDeps extends AnnounceDeps {
  pulls: Pick<PullStore, 'pullForMerge' | 'setDeploy'>;
  /** How the target's Git host writes a pull request reference: `#` (GitHub) or `!` (GitLab). */
  pullRequestPrefix: string;
}

/**
 * Everything one run tells the outside world, in one place: the commit status lifecycle, the
 * provider's deployment, the pull request's comment (for a merge or a command), the Kubernetes
 * event and notifications. Every post is a report job of its own. A heal of drift posts
 * statuses, events and notifications, but is neither a new deployment nor news for a pull request.
 */
export class SyncReporter {
  private pr?: PullRef | null;
  private readonly sha: string;
  private readonly trigger: Trigger;
  private readonly heal: boolean;

  constructor(
    private readonly deps: SyncReportDeps,
    private readonly target: TargetConfig,
    run: Run,
    private readonly log: Logger,
  ) {
    this.sha = run.revision;
    this.trigger = run.trigger;
    this.heal = run.purpose === 'heal';
  }

  async started(): Promise<void> {
    await this.deployment('queued');
    await this.comment({ result: 'running' });
  }

  async stage(stage: SyncStage): Promise<void> {
    if (stage !== 'apply') return;
    await this.status('applying', 'running', this.heal ? 'healing drift' : 'applying');
    await this.deployment('in_progress');
  }

  async health(healthy: number, total: number): Promise<void> {
    if (healthy < total) await this.status('waiting', 'running', progressLine(healthy, total), (healthy + 1) / (total + 1));
  }

  async succeeded(summary: ChangeSummary): Promise<void> {
    const text = describeSummary(summary);
    await this.status('terminal', 'success', `${this.heal ? 'healed drift' : 'deployed'}: ${text}`);
    await this.deployment('success', text);
    await this.comment({ result: 'succeeded', summary });
    await announce(this.deps, this.target, { type: 'Normal', reason: this.heal ? 'DriftHealed' : 'SyncSucceeded', message: `${this.sha.slice(0, 7)} ${this.heal ? 'healed' : 'deployed'}: ${text}` }, undefined, this.log);
  }

  async failed(failure: RunFailure): Promise<void> {
    const { rollback, message: reason } = failure;
    const rolledBackTo = rollback && 'rolledBackTo' in rollback ? rollback.rolledBackTo : undefined;
    const description = !rollback
      ? reason
      : rolledBackTo
        ? `rolled back to ${rolledBackTo.slice(0, 7)}: ${reason}`
        : `rollback to ${'rollbackFailed' in rollback ? rollback.rollbackFailed.slice(0, 7) : ''} failed too: ${reason}`;
    await this.status('terminal', failure.permanent ? 'failure' : 'error', description);
    await this.deployment('failure', description);
    await this.comment({ result: rolledBackTo ? 'rolled back' : failure.permanent ? 'failed' : 'errored', message: reason, summary: failure.applied, rolledBackTo });
    await announce(
      this.deps,
      this.target,
      { type: 'Warning', reason: rolledBackTo ? 'RolledBack' : 'SyncFailed', message: `${this.sha.slice(0, 7)}: ${description}` },
      { event: rolledBackTo ? 'rolled_back' : 'deploy_failed', revision: this.sha, rolledBackTo, message: description, deliveryId: this.trigger.deliveryId },
      this.log,
    );
  }

  private async status(phase: StatusPhase, state: StatusState, description: string, progress = 0): Promise<void> {
    const j = statusJob({ target: this.target.name, repo: this.target.repo.path, sha: this.sha, trigger: this.trigger }, phase, state, description, progress);
    await this.deps.reports.add(j.name, j.data, j.opts);
  }

  private async deployment(state: DeploymentJobData['state'], description?: string): Promise<void> {
    if (this.heal) return;
    const data: DeploymentJobData = { target: this.target.name, repo: this.target.repo.path, sha: this.sha, ref: this.target.branch, state, description };
    await this.deps.reports.add('deployment', data, { jobId: jobId('deployment', this.target.name, this.sha, state, this.trigger.deliveryId) });
  }

  /** The deploy's line in the pull request's comment: the PR a command came from, or the PR a merge commit closed. */
  private async comment(deploy: Omit<NonNullable<TargetSection['deploy']>, 'sha' | 'at'>): Promise<void> {
    if (this.heal) return;
    if (this.pr === undefined) {
      const { provider, path } = this.target.repo;
      this.pr = this.trigger.pr !== undefined ? { provider, repo: path, number: this.trigger.pr } : ((await this.deps.pulls.pullForMerge(provider, path, this.sha)) ?? null);
    }
    if (!this.pr) return;
    await this.deps.pulls.setDeploy(this.pr, this.target.name, { ...deploy, sha: this.sha, at: new Date().toISOString() });
    const render = commentJob(this.pr, this.target.name, this.sha, deploy.result, this.trigger.deliveryId);
    await this.deps.reports.add(render.name, render.data, render.opts);
  }
}

/** The reconciler's observer for one job: a DeployReporter per run, drift and superseded revisions announced. */
export function syncObserver(deps: SyncReportDeps, target: TargetConfig, log: Logger): ReconcileObserver {
  const reporters = new Map<string, SyncReporter>();
  const reporter = (run: Run) => {
    const key = `${run.revision}\0${run.trigger.deliveryId}`;
    let r = reporters.get(key);
    if (!r) reporters.set(key, (r = new SyncReporter(deps, target, run, log.child({ commit: run.revision }))));
    return r;
  };
  return {
    async superseded({ revision, message }) {
      const j = statusJob({ target: target.name, repo: target.repo.path, sha: revision.sha, trigger: revision.trigger }, 'terminal', 'superseded', message);
      await deps.reports.add(j.name, j.data, j.opts);
    },
    started: (run) => reporter(run).started(),
    stage: (run, stage) => reporter(run).stage(stage),
    health: (run, healthy, total) => reporter(run).health(healthy, total),
    succeeded: (run, summary) => reporter(run).succeeded(summary),
    failed: (run, failure) => reporter(run).failed(failure),
    async drifted(run, drift, healing) {
      const subjects = drift.map((c) => c.subject);
      const message = `drift in ${run.revision.slice(0, 7)}: ${subjects.join(', ')}${healing ? '; healing' : ''}`;
      log.warn({ commit: run.revision, drift: subjects, healing }, 'drift detected');
      await announce(deps, target, { type: 'Warning', reason: 'DriftDetected', message }, { event: 'drift', revision: run.revision, message, deliveryId: run.trigger.deliveryId }, log);
    },
    held: (waiting, hold) => reportHeld(deps, target, waiting, hold),
  };
}

/** Pending revisions that wait behind a pull request's hold (`/lock`) say so, without failing. */
async function reportHeld(deps: SyncReportDeps, target: TargetConfig, revisions: readonly { sha: string; trigger: Trigger }[], hold: { pr: number; user: string }): Promise<void> {
  for (const r of revisions) {
    const j = statusJob({ target: target.name, repo: target.repo.path, sha: r.sha, trigger: r.trigger }, 'queued', 'pending', `locked by ${deps.pullRequestPrefix}${hold.pr} (@${hold.user})`, 0.5);
    await deps.reports.add(j.name, j.data, j.opts);
  }
}
