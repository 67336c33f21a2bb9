// What a check run shows (GitHub Checks, as an App): the deploy check follows the commit status
// lifecycle; the preview check carries the plan: counts as title, a table as summary, every diff as
// text and an annotation on each manifest that causes a change or a problem.
import type { Change, ChangeAction } from '../model/change.js';
import type { TargetPreview } from '../model/pull-comment.js';
import type { StatusState } from '../model/status.js';
import type { CheckAnnotation, CheckRunUpdate } from '../providers/types.js';
import { describePlan, summarize, writeActions } from '../sync/changeset.js';
import { codeFence, escapeMarkdown, inlineCode } from '../text/markdown.js';

/** A check run's state and output, without its name and commit. */
export type CheckState = Omit<CheckRunUpdate, 'name' | 'sha'>;

/**
 * GitHub's limits on an output (https://docs.github.com/en/rest/checks/runs#create-a-check-run):
 * summary and text at most 65,535 characters each. The title has no documented cap; a status
 * description's 140 keeps it one line in the UI.
 */
export const outputLimits = { title: 140, summary: 65_535, text: 65_535 } as const;

const oneLine = (text: string, max: number) => {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
};

/**
 * The deploy check's state for one status of the lifecycle: pending → queued, running →
 * in_progress, success → success, failure and error → failure, superseded → neutral (its change
 * deploys with the newer commit). The description is the title and the summary.
 */
export function checkFromStatus(state: StatusState, description: string): CheckState {
  const title = oneLine(description, outputLimits.title);
  const output = { title, summary: escapeMarkdown(description) };
  switch (state) {
    case 'pending':
      return { status: 'queued', output };
    case 'running':
      return { status: 'in_progress', output };
    case 'success':
      return { status: 'completed', conclusion: 'success', output };
    case 'superseded':
      return { status: 'completed', conclusion: 'neutral', output };
    case 'failure':
    case 'error':
      return { status: 'completed', conclusion: 'failure', output };
  }
}

const verbs: Record<ChangeAction, string> = { created: 'create', adopted: 'adopt', configured: 'change', deleted: 'prune', released: 'release', unchanged: 'unchanged', skipped: 'skip' };

/** The line an annotation starts at: the object's own line when the renderer knew it, else the file's first. */
const lineOf = (item: { line?: number }) => item.line ?? 1;

/**
 * The preview check of `target` at `preview.sha`. Planned: success, the counts as title (`1 to
 * create, 1 to change`), a table of counts and a list of objects as summary, every diff as text,
 * and a `notice` annotation per written object on its manifest (pruned objects have none).
 * Failed: failure, an annotation per problem on its file. Text past GitHub's limit is cut at a
 * whole diff, with a note of what was left out.
 */
export function previewCheck(target: string, preview: TargetPreview): CheckState {
  const at = `Preview of ${inlineCode(preview.sha.slice(0, 7))} for **${escapeMarkdown(target)}**`;
  if (preview.outcome === 'failed') {
    const problems = preview.problems.map((p) => `- ${inlineCode(p.subject)} (${inlineCode(p.file)}): ${escapeMarkdown(p.message)}`);
    const annotations: CheckAnnotation[] = preview.problems
      .filter((p) => p.file)
      .map((p) => ({ path: p.file, startLine: lineOf(p), endLine: lineOf(p), level: 'failure', title: p.subject, message: p.message }));
    return {
      status: 'completed',
      conclusion: 'failure',
      output: { title: oneLine(`would fail: ${preview.message}`, outputLimits.title), summary: fit([`${at}: **would fail**`, '', escapeMarkdown(preview.message), '', ...problems].join('\n'), outputLimits.summary), annotations },
    };
  }
  const summary = summarize(preview.changes);
  const written = preview.changes.filter((c) => (writeActions as readonly ChangeAction[]).includes(c.action));
  const table = [
    '| create | change | prune | unchanged |',
    '| -----: | -----: | ----: | --------: |',
    `| ${summary.created + summary.adopted} | ${summary.configured} | ${summary.deleted + summary.released} | ${summary.unchanged} |`,
  ];
  const rows = written.map((c) => `- **${verbs[c.action]}** ${inlineCode(c.subject)}${c.file ? ` (${inlineCode(c.file)})` : ''}${c.reason ? `: ${escapeMarkdown(c.reason)}` : ''}`);
  const annotations: CheckAnnotation[] = written
    .filter((c): c is Change & { file: string } => c.file !== undefined)
    .map((c) => ({ path: c.file, startLine: lineOf(c), endLine: lineOf(c), level: 'notice', title: `${verbs[c.action]} ${c.subject}`, message: c.diff ?? c.reason ?? `${verbs[c.action]} ${c.subject}` }));
  return {
    status: 'completed',
    conclusion: 'success',
    output: {
      title: describePlan(summary),
      summary: fit([`${at}: **${escapeMarkdown(describePlan(summary))}**`, '', ...table, '', ...rows].join('\n'), outputLimits.summary),
      text: diffText(written),
      annotations,
    },
  };
}

/** Every diff, fenced, in plan order, as many as fit; a note says how many did not. */
function diffText(changes: readonly Change[]): string {
  const blocks = changes.filter((c) => c.diff).map((c) => {
    const fence = codeFence(c.diff!);
    return `**${verbs[c.action]}** ${inlineCode(c.subject)}\n${fence}diff\n${c.diff!.trimEnd()}\n${fence}\n`;
  });
  const out: string[] = [];
  let length = 0;
  for (const [i, block] of blocks.entries()) {
    const left = blocks.length - i - 1;
    const note = omitted(blocks.length - i);
    // keep room for the note unless this is the last block
    if (length + block.length + 1 + (left > 0 ? note.length : 0) > outputLimits.text) {
      out.push(note);
      break;
    }
    out.push(block);
    length += block.length + 1;
  }
  return out.join('\n');
}

const omitted = (n: number) => `_${n} more diff${n === 1 ? '' : 's'} not shown: GitHub caps a check run's text at 65,535 characters. \`driftless diff\` prints them all._`;

/** `text` cut to `max` characters at a line, with a note. */
function fit(text: string, max: number): string {
  if (text.length <= max) return text;
  const note = '\n\n_Cut short: GitHub caps a check run summary at 65,535 characters._';
  const cut = text.slice(0, max - note.length);
  return `${cut.slice(0, Math.max(cut.lastIndexOf('\n'), 0))}${note}`;
}
