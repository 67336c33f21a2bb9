import type { CheckAnnotation, CheckRunUpdate, CheckRunWriter } from '../types.js';
import { orderedWrite, type GitHubApi } from './octokit.js';

/**
 * GitHub's limits on a check run (https://docs.github.com/en/rest/checks/runs#create-a-check-run):
 * at most 50 annotations per request (more are sent in further updates, which append them),
 * summary and text at most 65,535 characters each, an annotation's message at most 64 KB.
 */
export const checkRunLimits = { annotationsPerRequest: 50, summary: 65_535, text: 65_535, annotationMessage: 64 * 1024 } as const;

const toGitHub = (a: CheckAnnotation) => ({
  path: a.path,
  start_line: a.startLine,
  end_line: a.endLine,
  annotation_level: a.level,
  title: a.title,
  message: a.message.length > checkRunLimits.annotationMessage ? `${a.message.slice(0, checkRunLimits.annotationMessage - 1)}…` : a.message,
});

/**
 * Check runs through the Checks API, as a GitHub App installation (a token may not write them).
 * A run is found again by name on the commit (`GET /commits/{sha}/check-runs?check_name=`), and
 * by its `external_id` when states name their run, and updated; a completed run is never reopened:
 * a new sync of the same commit is a new run, as a GitHub "Re-run" is.
 */
export class GitHubCheckRuns implements CheckRunWriter {
  /** One upsert per check name and commit at a time in this process: a lookup never races a create. */
  private readonly pending = new Map<string, Promise<void>>();

  constructor(
    private readonly api: (repo: string) => Promise<GitHubApi>,
    /** Runs of other Apps with the same name are not ours to update. */
    private readonly appId: number,
  ) {}

  upsertCheckRun(repo: string, run: CheckRunUpdate): Promise<void> {
    const key = `${repo}\0${run.name}\0${run.sha}`;
    const next = (this.pending.get(key) ?? Promise.resolve()).catch(() => undefined).then(() => this.upsert(repo, run));
    this.pending.set(key, next);
    return next.finally(() => {
      if (this.pending.get(key) === next) this.pending.delete(key);
    });
  }

  private async upsert(repo: string, run: CheckRunUpdate): Promise<void> {
    const gh = await this.api(repo);
    const [owner = '', name = ''] = repo.split('/');
    const at = { owner, repo: name };
    const { data } = await gh.rest.checks.listForRef({ ...at, ref: run.sha, check_name: run.name, filter: run.runId === undefined ? 'latest' : 'all', per_page: 100 });
    const ours = data.check_runs.find((r) => r.app?.id === this.appId && (run.runId === undefined || r.external_id === run.runId));
    // a late queued or in_progress of a run that has completed
    if (ours && run.runId !== undefined && ours.status === 'completed' && run.status !== 'completed') return;
    const annotations = (run.output.annotations ?? []).map(toGitHub);
    const batches: (typeof annotations)[] = [];
    for (let i = 0; i < annotations.length; i += checkRunLimits.annotationsPerRequest) batches.push(annotations.slice(i, i + checkRunLimits.annotationsPerRequest));
    const { title, summary, text } = run.output;
    const output = { title, summary, ...(text === undefined ? {} : { text }), annotations: batches[0] ?? [] };
    const state = { status: run.status, ...(run.conclusion === undefined ? {} : { conclusion: run.conclusion }) };
    let id: number;
    if (ours && !(ours.status === 'completed' && run.status !== 'completed')) {
      await gh.rest.checks.update({ ...at, check_run_id: ours.id, ...state, output, ...orderedWrite });
      id = ours.id;
    } else {
      const external = run.runId === undefined ? {} : { external_id: run.runId };
      id = (await gh.rest.checks.create({ ...at, name: run.name, head_sha: run.sha, ...external, ...state, output, ...orderedWrite })).data.id;
    }
    // annotations past the first 50 go in further updates, which GitHub appends
    for (const batch of batches.slice(1)) await gh.rest.checks.update({ ...at, check_run_id: id, output: { title, summary, annotations: batch } });
  }
}
