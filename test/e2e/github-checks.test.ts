import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { DriftlessHarness, pullRequestPayload } from '../helpers/driftless.js';
import { cm } from '../helpers/manifests.js';

const require = createRequire(import.meta.url);

/** GitHub's check_run rerequested example from @octokit/webhooks-examples, for our check on a pull request. */
function rerequested(input: { repo: string; name: string; sha: string; pr: number; sender: string }): string {
  const examples = require('@octokit/webhooks-examples') as { name: string; examples: Record<string, any>[] }[]; // eslint-disable-line @typescript-eslint/no-explicit-any
  const p = structuredClone(examples.find((e) => e.name === 'check_run')!.examples.find((x) => x.action === 'rerequested')!);
  p.repository = { ...p.repository, full_name: input.repo, name: input.repo.split('/')[1] };
  p.check_run = { ...p.check_run, name: input.name, head_sha: input.sha, pull_requests: [{ number: input.pr, head: { ref: 'feature', sha: input.sha }, base: { ref: 'main' } }] };
  p.sender = { ...p.sender, login: input.sender, type: 'User' };
  return JSON.stringify(p);
}

// As a GitHub App, Driftless reports with check runs: the deploy check follows the sync, the
// preview check carries the plan with annotations on the manifests' files and lines.

describe('check runs as a GitHub App', () => {
  let h: DriftlessHarness;
  let namespace: string;
  beforeAll(async () => {
    ({ h, namespace } = await DriftlessHarness.startInNewNamespace('ghchk', { githubApp: {} }));
  });
  afterAll(() => h?.close());

  const run = (sha: string, name: string) => h.github.checkRuns(h.repoName, sha).filter((r) => r.name === name).at(-1);

  it('a push’s deploy check goes queued → in_progress → success; no commit statuses', async () => {
    const { sha } = await h.commitAndPush('app', { 'deploy/a.yaml': cm('a', '1') });
    await expect.poll(() => run(sha, `driftless/${namespace}`)?.conclusion, { timeout: 30_000 }).toBe('success');
    const states = run(sha, `driftless/${namespace}`)!.history.map((s) => s.status);
    expect(states[0]).toBe('queued');
    expect(states).toContain('in_progress');
    expect(states.at(-1)).toBe('completed');
    expect(run(sha, `driftless/${namespace}`)!.output.title).toBe('deployed: 1 created');
    expect(h.statuses(sha)).toEqual([]);
  });

  it('a pull request gets a preview check whose annotations point at the manifest file and line', async () => {
    await h.repo.branch('feature');
    await h.repo.checkout('feature');
    const two = `${cm('b', '1')}---\n# the second object of the file\n${cm('c', '1')}`;
    const head = await h.repo.commit('change a, add b and c', { 'deploy/a.yaml': cm('a', '2'), 'deploy/bc.yaml': two });
    h.github.setPull(h.repoName, { number: 5, user: 'dev', head: { ref: 'feature', sha: head }, base: { ref: 'main' } });
    const opened = await h.push(pullRequestPayload({ repo: h.repoName, number: 5, action: 'opened', headRef: 'feature', headSha: head }), { event: 'pull_request' });
    expect(opened.status).toBe(202);
    const name = `driftless/${namespace}/diff`;
    await expect.poll(() => run(head, name)?.conclusion, { timeout: 30_000 }).toBe('success');
    const check = run(head, name)!;
    expect(check.output.title).toBe('2 to create, 1 to change');
    expect(check.output.summary).toContain('| create | change | prune | unchanged |');
    expect(check.output.text).toContain("-  value: '1'");
    const bcLines = two.split('\n');
    const cLine = bcLines.findIndex((l, i) => i > 0 && l.startsWith('apiVersion')) + 1;
    // in plan order; c starts below the separator and the comment
    expect(cLine).toBeGreaterThan(3);
    expect(check.annotations.map((a) => [a.path, a.start_line, a.annotation_level, a.title])).toEqual([
      ['deploy/a.yaml', 1, 'notice', `change ConfigMap/${namespace}/a`],
      ['deploy/bc.yaml', 1, 'notice', `create ConfigMap/${namespace}/b`],
      ['deploy/bc.yaml', cLine, 'notice', `create ConfigMap/${namespace}/c`],
    ]);

    // Re-run: the same authorization as /diff; a user without access is refused on the pull request
    h.github.setPermission(h.repoName, 'dev', 'read');
    h.github.setPermission(h.repoName, 'stranger', 'none');
    const denied = await h.push(rerequested({ repo: h.repoName, name, sha: head, pr: 5, sender: 'stranger' }), { event: 'check_run' });
    expect(denied.status).toBe(202);
    await expect.poll(() => h.github.comments(h.repoName, 5).find((c) => c.body.startsWith('Not running `/diff`'))?.body, { timeout: 10_000 }).toContain('@stranger has no access');
    expect(h.github.checkRuns(h.repoName, head).filter((r) => r.name === name)).toHaveLength(1);
    const again = await h.push(rerequested({ repo: h.repoName, name, sha: head, pr: 5, sender: 'dev' }), { event: 'check_run' });
    expect(again.status).toBe(202);
    await expect.poll(() => h.github.checkRuns(h.repoName, head).filter((r) => r.name === name && r.conclusion === 'success').length, { timeout: 30_000 }).toBe(2);
    // each run went queued → completed, whatever order its report jobs ran in
    expect(h.github.checkRuns(h.repoName, head).filter((r) => r.name === name).map((r) => [r.history[0]?.status, r.status])).toEqual([
      ['queued', 'completed'],
      ['queued', 'completed'],
    ]);

    if (process.env.DRIFTLESS_CHECK_JSON) {
      const { history: _h, annotations, ...shown } = check;
      await writeFile(process.env.DRIFTLESS_CHECK_JSON, JSON.stringify({ check_run: shown, annotations }, null, 2));
    }
  });
});
