import type { TargetConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { TerminalReport } from '../model/outcome.js';
import type { Trigger } from '../model/trigger.js';
import type { SyncStage } from '../model/revision.js';
import type { PullRef } from '../model/pull.js';
import type { TargetSection } from '../model/pull-comment.js';
import type { StatusState } from '../model/status.js';
import { commentJob, type DeploymentJobData } from '../queue/jobs.js';
import type { PullStore } from '../store/pulls.js';
import { progressLine } from '../sync/health/index.js';
import type { ReconcileObserver, Run, RunOutcome } from '../sync/reconciler.js';
import { announce, type AnnounceDeps } from './announce.js';
import { deploymentJob } from './deployment.js';
import { reportOutcome } from './outcome.js';
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

  async finished(outcome: RunOutcome): Promise<void> {
    const report = reportOutcome(outcome, this.sha, this.trigger.deliveryId);
    await this.status('terminal', report.status.state, report.status.description);
    await this.deployment(report.deployment.state, report.deployment.description);
    await this.comment(report.comment);
    await announce(this.deps, this.target, report.event, report.notification, this.log);
  }

  private async status(phase: StatusPhase, state: StatusState, description: string, progress = 0): Promise<void> {
    const j = statusJob({ target: this.target.name, repo: this.target.repo.path, sha: this.sha, trigger: this.trigger }, phase, state, description, progress);
    await this.deps.reports.add(j.name, j.data, j.opts);
  }

  private async deployment(state: DeploymentJobData['state'], description?: string): Promise<void> {
    if (this.heal) return;
    const j = deploymentJob({ target: this.target.name, repo: this.target.repo.path, sha: this.sha, ref: this.target.branch, trigger: this.trigger }, state, description);
    await this.deps.reports.add(j.name, j.data, j.opts);
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
    async settled(sha, report) {
      const j = terminalStatusJob(target, sha, report);
      await deps.reports.add(j.name, j.data, j.opts);
    },
    started: (run) => reporter(run).started(),
    stage: (run, stage) => reporter(run).stage(stage),
    health: (run, healthy, total) => reporter(run).health(healthy, total),
    finished: (run, outcome) => reporter(run).finished(outcome),
    async drifted(run, drift, healing) {
      const subjects = drift.map((c) => c.subject);
      const message = `drift in ${run.revision.slice(0, 7)}: ${subjects.join(', ')}${healing ? '; healing' : ''}`;
      log.warn({ commit: run.revision, drift: subjects, healing }, 'drift detected');
      await announce(deps, target, { type: 'Warning', reason: 'DriftDetected', message }, { event: 'drift', revision: run.revision, message, deliveryId: run.trigger.deliveryId }, log);
    },
    held: (waiting, hold) => reportHeld(deps, target, waiting, hold),
  };
}

/**
 * The terminal commit status of a settled revision: the same job (id and text) as the run that
 * settled it queued, whenever it is asked for again.
 */
function terminalStatusJob(target: TargetConfig, sha: string, { trigger, outcome }: TerminalReport): ReturnType<typeof statusJob> {
  const { state, description } = outcome.result === 'superseded' ? { state: 'superseded' as const, description: outcome.message } : reportOutcome(outcome, sha, trigger.deliveryId).status;
  return statusJob({ target: target.name, repo: target.repo.path, sha, trigger }, 'terminal', state, description);
}

/** Pending revisions that wait behind a pull request's hold (`/lock`) say so, without failing. */
async function reportHeld(deps: SyncReportDeps, target: TargetConfig, revisions: readonly { sha: string; trigger: Trigger }[], hold: { pr: number; user: string }): Promise<void> {
  for (const r of revisions) {
    const j = statusJob({ target: target.name, repo: target.repo.path, sha: r.sha, trigger: r.trigger }, 'queued', 'pending', `locked by ${deps.pullRequestPrefix}${hold.pr} (@${hold.user})`, 0.5);
    await deps.reports.add(j.name, j.data, j.opts);
  }
}
