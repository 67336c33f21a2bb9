// The Markdown of a pull request's comment: comment-model.ts decides what is shown, this file how
// it reads. Every piece of user text is escaped here, once per comment, before any budget applies.
import type { ChangeAction, ChangeSummary } from '../model/change.js';
import type { PreviewProblem, TargetDeploy } from '../model/pull-comment.js';
import { describeSummary, writeActions } from '../sync/changeset.js';
import { codeFence, escapeMarkdown, inlineCode } from '../text/markdown.js';
import { limits, type Budget, type CommentLayout, type DiffView, type ObjectRow, type TargetView } from './comment-model.js';

/** Hidden first line by which the one comment per pull request is found again and edited in place. */
export const commentMarker = '<!-- driftless:pr-comment -->';

const title = '### Driftless';

/** A rendered diff: its title line and fenced body. */
interface DiffText {
  /** `**change** `ConfigMap/shop/a`` */
  title: string;
  body: string;
  fence: string;
  lines: number;
}

interface ObjectText {
  line: string;
  diff?: DiffText & { id: string };
}

/** One target's Markdown pieces, escaped once: only their assembly depends on the budget. */
interface SectionText {
  heading: string;
  /** The preview line, or the ❌ line of a failed preview; short variant for the `headline` level. */
  headline?: { full: string; short: string };
  table?: string;
  objects: ObjectText[];
  problems: string[];
  deploy?: { full: string; short: string };
  lock?: string;
  notes: string[];
}

const verbs: Record<ChangeAction, string> = { created: 'create', adopted: 'adopt', configured: 'change', deleted: 'prune', released: 'release', unchanged: 'unchanged', skipped: 'skip' };

/**
 * The comment's text for each budget, with the sizes of its diff blocks. `prefix` links a pull
 * request number: `#` on GitHub, `!` for GitLab merge requests.
 */
export function markdownLayout(targets: readonly TargetView[], prefix: '#' | '!'): CommentLayout {
  const sections = targets.map((t) => sectionText(t, prefix));
  const diffs = new Map(sections.flatMap((s) => s.objects.flatMap((o) => (o.diff ? [[o.diff.id, o.diff] as const] : []))));
  return {
    render: (budget) => assemble(sections, budget),
    diffSize: (view: DiffView) => {
      const diff = diffs.get(view.id)!;
      const block = diffBlock(diff).length;
      // the block and its blank line go; ` — ` and the note join the object's line
      return { block, saved: block + 2 - (3 + omittedNote(diff).length) };
    },
  };
}

function sectionText(view: TargetView, prefix: '#' | '!'): SectionText {
  const target = clip(view.target, limits.name);
  const text: SectionText = { heading: `#### ${escapeMarkdown(target)}`, objects: [], problems: [], notes: [] };
  const preview = view.preview;
  if (preview?.outcome === 'planned') {
    const headline = `Preview of ${sha(preview.sha)}: ${previewCounts(preview.counts)}`;
    text.headline = { full: headline, short: headline };
    text.table = table(preview.counts);
    text.objects = preview.rows.map(objectText);
  } else if (preview?.outcome === 'failed') {
    const line = (max: number) => `❌ Preview of ${sha(preview.sha)} failed${preview.message ? `: ${escapeMarkdown(clip(preview.message, max))}` : ''}`;
    text.headline = { full: line(limits.message), short: line(limits.short) };
    text.problems = preview.problems.map(problemLine);
  }
  if (view.deploy) {
    const deploy = view.deploy;
    text.deploy = { full: deployLine(target, deploy, limits.message), short: deployLine(target, deploy, limits.short) };
  }
  if (view.lock) {
    const { pr, user, at } = view.lock;
    const ref = Number.isSafeInteger(pr) ? `${prefix}${pr}` : escapeMarkdown(String(pr));
    text.lock = `🔒 Locked by ${ref} (${escapeMarkdown(clip(user, limits.name))}) since ${time(at)}: other deploys to **${escapeMarkdown(target)}** wait until it is unlocked (${inlineCode(`/unlock ${target}`)}).`;
  }
  text.notes = view.notes.map((n) => `💬 ${escapeMarkdown(clip(n, limits.note), true)}`);
  return text;
}

/** `**2 to create, 1 to change**, 3 unchanged` */
function previewCounts(c: ChangeSummary): string {
  const writes = writeActions.filter((a) => (c[a] ?? 0) > 0).map((a) => `${c[a]} to ${verbs[a]}`);
  const rest = (['unchanged', 'skipped'] as const).filter((a) => c[a] > 0).map((a) => `${c[a]} ${a}`);
  if (writes.length === 0) return [rest.length > 0 ? '**no changes**' : '**no objects**', ...rest].join(', ');
  return [`**${writes.join(', ')}**`, ...rest].join(', ');
}

function table(c: ChangeSummary): string {
  const columns: [string, number][] = [
    ['create', c.created],
    ...(c.adopted ? [['adopt', c.adopted] as [string, number]] : []),
    ['change', c.configured],
    ['prune', c.deleted],
    ...(c.released ? [['release', c.released] as [string, number]] : []),
    ['unchanged', c.unchanged],
  ];
  if (c.skipped > 0) columns.push(['skipped', c.skipped]);
  const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [row(columns.map(([name]) => name)), row(columns.map(([name]) => `${'-'.repeat(name.length - 1)}:`)), row(columns.map(([name, n]) => String(n).padStart(name.length)))].join('\n');
}

function objectText({ change, diff }: ObjectRow): ObjectText {
  const verb = verbs[change.action];
  const subject = inlineCode(clip(change.subject, limits.name));
  const from = change.file ? ` (${inlineCode(clip(change.file, limits.name))})` : '';
  const reason = change.reason ? `: ${escapeMarkdown(clip(change.reason, limits.message))}` : '';
  const line = `- **${verb}** ${subject}${from}${reason}`;
  if (!diff) return { line };
  return { line, diff: { id: diff.id, title: `**${verb}** ${subject}`, body: diff.body, fence: codeFence(diff.body), lines: diff.lines } };
}

function problemLine(p: PreviewProblem): string {
  const names = [p.subject && inlineCode(clip(p.subject, limits.name)), p.file && inlineCode(clip(p.file, limits.name))].filter(Boolean);
  const where = names.length === 2 ? `${names[0]} (${names[1]})` : (names[0] ?? 'unknown object');
  return `- ${where}: ${escapeMarkdown(clip(p.message, limits.message))}`;
}

function deployLine(target: string, d: TargetDeploy, max: number): string {
  const of = `${sha(d.sha)} to **${escapeMarkdown(target)}**`;
  const message = d.message ? escapeMarkdown(clip(d.message, max)) : '';
  const because = message ? `: ${message}` : '';
  // what a stopped deploy had already written; a rollback restored the previous revision, so it is left out there
  const applied = d.summary && writeActions.some((a) => (d.summary![a] ?? 0) > 0) ? ` (${describeSummary(d.summary)} before it stopped)` : '';
  switch (d.result) {
    case 'succeeded':
      return `✅ Deployed ${of}${d.summary ? `: ${describeSummary(d.summary)}` : ''}`;
    case 'failed':
      return `❌ Deploy of ${of} failed${applied}${because}`;
    case 'errored':
      // an error is not the change's fault (API down, timeout); a failure is
      return `⚠️ Deploy of ${of} hit an error not caused by this change${applied}${because}`;
    case 'rolled back':
      // the target stays there: the schedule does not try the failed commit again (see README, Operations)
      return `↩️ Deploy of ${of} failed and was rolled back${d.rolledBackTo ? ` to ${sha(d.rolledBackTo)}, held there until a newer commit or /deploy` : ''}${because}`;
    case 'superseded':
      return `⏭️ Deploy of ${of} was skipped${message ? because : ': superseded by a newer commit'}`;
    case 'queued':
      return `⏳ Deploy of ${of} is queued${because}`;
    case 'running':
      return `🔄 Deploying ${of}${because}`;
  }
}

function assemble(sections: readonly SectionText[], budget: Budget): string {
  if (budget.level === 'marker') return `${commentMarker}\n`;
  const blocks = [commentMarker, title];
  if (budget.level !== 'title') {
    if (sections.length === 0) blocks.push('No target is affected by this pull request.');
    for (const s of sections.slice(0, budget.shown)) blocks.push(...sectionBlocks(s, budget));
    const hidden = sections.length - budget.shown;
    if (hidden > 0) blocks.push(`_… ${count(hidden, 'more target')} not shown (comment size limit)._`);
  }
  return `${blocks.join('\n\n')}\n`;
}

function sectionBlocks(s: SectionText, budget: Budget): string[] {
  const full = budget.level === 'full';
  const blocks = [s.heading];
  if (s.headline) blocks.push(budget.level === 'headline' ? s.headline.short : s.headline.full);
  if (s.table && budget.level !== 'headline') blocks.push(s.table);
  if (s.objects.length > 0 && full) blocks.push(details(s, budget));
  if (s.problems.length > 0) {
    if (full) blocks.push(capped(s.problems, budget.cap, 'problem'));
    else blocks.push(`_${count(s.problems.length, 'problem')} not listed (comment size limit)._`);
  }
  if (!s.headline && !s.deploy) blocks.push('_No preview yet._');
  if (s.deploy) blocks.push(budget.level === 'headline' ? s.deploy.short : s.deploy.full);
  if (s.lock) blocks.push(s.lock);
  if (s.notes.length > 0 && full) blocks.push(s.notes.map((n) => `> ${n}`).join('\n>\n'));
  return blocks;
}

/** The collapsed object list, then the diffs of those objects. */
function details(s: SectionText, budget: Budget): string {
  const withDiff = s.objects.filter((o) => o.diff);
  const collapsed = budget.collapsed && withDiff.length > 0;
  const shown = collapsed ? [] : withDiff.filter((o) => !budget.omitted.has(o.diff!.id));
  const lines = s.objects.map((o) => (o.diff && !collapsed && budget.omitted.has(o.diff.id) ? `${o.line} — ${omittedNote(o.diff)}` : o.line));
  const parts = [capped(lines, budget.cap, 'object')];
  if (collapsed) {
    const total = withDiff.reduce((sum, o) => sum + o.diff!.lines, 0);
    parts.push(`_Diffs of ${count(withDiff.length, 'object')} (${count(total, 'line')}) omitted (comment size limit); run \`driftless diff\` or see the status details._`);
  }
  for (const o of shown) parts.push(diffBlock(o.diff!));
  const summary = `${count(s.objects.length, 'object')}${shown.length > 0 ? `, ${count(shown.length, 'diff')}` : ''}`;
  return `<details><summary>${summary}</summary>\n\n${parts.join('\n\n')}\n\n</details>`;
}

function diffBlock(d: DiffText): string {
  return `${d.title}\n\n${d.fence}diff\n${d.body}\n${d.fence}`;
}

function omittedNote(d: DiffText): string {
  return `_diff of ${count(d.lines, 'line')} omitted (comment size limit); run \`driftless diff\` or see the status details_`;
}

function capped(lines: readonly string[], cap: number, noun: string): string {
  if (lines.length <= cap) return lines.join('\n');
  const rest = lines.length - cap;
  const tail = cap === 0 ? `- … ${count(rest, noun)} not listed (comment size limit)` : `- … and ${rest} more ${rest === 1 ? noun : `${noun}s`} (comment size limit)`;
  return [...lines.slice(0, cap), tail].join('\n');
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function clip(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

function sha(value: string): string {
  return inlineCode(/^[0-9a-f]{7,64}$/i.test(value) ? value.slice(0, 7) : clip(value, 40));
}

/** `2026-11-26 09:30 UTC`; text that is not a time is shown escaped. */
function time(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? escapeMarkdown(clip(iso, 40)) : `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
