import type { DeployResult, FailedPreview, PlannedPreview, PreviewProblem, TargetDeploy, TargetLock, TargetPreview, TargetSection } from '../model/pull-comment.js';
import { appliesObject, describeSummary, summarize, writeActions, type Change, type ChangeAction, type ChangeSummary } from '../sync/changeset.js';

/** Hidden first line by which the one comment per pull request is found again and edited in place. */
export const commentMarker = '<!-- driftless:pr-comment -->';

export type { DeployResult, FailedPreview, PlannedPreview, PreviewProblem, TargetDeploy, TargetLock, TargetPreview, TargetSection };

export interface CommentOptions {
  /** Longest comment the provider accepts, in characters (GitHub 65536, GitLab 1,000,000); the result never exceeds it. */
  maxLength: number;
  /** How the provider links a pull request number: `#` (GitHub, the default) or `!` (GitLab merge requests). */
  referencePrefix?: '#' | '!';
}

/**
 * The whole PR comment: the marker, then one section per target, sorted by name. When it would
 * exceed `maxLength` it is shortened in steps, each kept only if still needed: diffs are replaced
 * by a note, largest first; then object and problem lists are cut short; then the collapsed
 * details, notes and tables go; last, whole targets. The marker always stays, so the next event
 * finds this comment again instead of posting a new one.
 */
export function renderComment(sections: readonly TargetSection[], options: CommentOptions): string {
  const { maxLength } = options;
  if (!Number.isFinite(maxLength) || maxLength < commentMarker.length + 1) {
    throw new RangeError(`maxLength ${maxLength} cannot hold even the comment marker`);
  }
  const models = [...sections]
    // numeric: `web-2` before `web-10`
    .sort((a, b) => a.target.localeCompare(b.target, 'en', { numeric: true }))
    .map((s, i) => prepare(s, i, options.referencePrefix ?? '#'));
  const fits = (budget: Budget) => {
    const text = assemble(models, budget);
    return text.length <= maxLength ? text : undefined;
  };

  const budget: Budget = { level: 'full', omitted: new Set(), collapsed: false, cap: Infinity };
  let text = assemble(models, budget);
  if (text.length <= maxLength) return text;

  // 1. replace diffs by a note, largest first, until the comment fits
  const diffs = models.flatMap((m) => m.objects.flatMap((o) => (o.diff ? [o.diff] : []))).sort((a, b) => b.size - a.size);
  let length = text.length;
  for (let next = 0; next < diffs.length; ) {
    // estimate the length after each omission instead of rendering again; the render below is exact
    for (; next < diffs.length && length > maxLength; next++) {
      const d = diffs[next]!;
      budget.omitted.add(d.id);
      // the block and its blank line go; ` — ` and the note join the object's line
      length -= d.size + 2 - (3 + omittedNote(d).length);
    }
    text = assemble(models, budget);
    if (text.length <= maxLength) return text;
    length = text.length;
  }

  // 2. one note per target for all its diffs, and lists cut to the longest length that fits
  budget.collapsed = true;
  const collapsed = fits(budget);
  if (collapsed !== undefined) return collapsed;
  const longest = Math.max(0, ...models.map((m) => Math.max(m.objects.length, m.problems.length)));
  // length grows with the cap but for a note or two, so a binary search finds the longest lists or nearly
  let best: string | undefined;
  for (let lo = 0, hi = longest; lo <= hi; ) {
    const cap = Math.floor((lo + hi) / 2);
    const capped = fits({ ...budget, cap });
    if (capped !== undefined) {
      best = capped;
      lo = cap + 1;
    } else hi = cap - 1;
  }
  if (best !== undefined) return best;

  // 3. summaries, deploy results and locks only; 4. and without tables
  for (const level of ['brief', 'headline'] as const) {
    const short = fits({ ...budget, level });
    if (short !== undefined) return short;
  }

  // 5. as many whole targets as fit
  return cut(models, { ...budget, level: 'headline' }, maxLength);
}

/** How much of the comment is shown: truncation lowers it step by step. */
interface Budget {
  /** `full`: everything allowed below; `brief`: no details, lists or notes; `headline`: no tables, short messages. */
  level: 'full' | 'brief' | 'headline';
  /** Diffs (by id) replaced by a note. */
  omitted: Set<string>;
  /** All diffs of a target replaced by one note. */
  collapsed: boolean;
  /** Most entries shown per object or problem list. */
  cap: number;
}

interface DiffEntry {
  /** `target index:object index`, unique within one comment. */
  id: string;
  /** `**change** `ConfigMap/shop/a`` */
  title: string;
  body: string;
  fence: string;
  lines: number;
  /** Length of its rendered block. */
  size: number;
}

interface ObjectEntry {
  line: string;
  diff?: DiffEntry;
}

/** One target, its user-controlled text already escaped: only assembly depends on the budget. */
interface Model {
  heading: string;
  /** The preview line, or the ❌ line of a failed preview; short variant for the `headline` level. */
  headline?: { full: string; short: string };
  table?: string;
  objects: ObjectEntry[];
  problems: string[];
  deploy?: { full: string; short: string };
  lock?: string;
  notes: string[];
}

const verbs: Record<ChangeAction, string> = { created: 'create', adopted: 'adopt', configured: 'change', deleted: 'prune', released: 'release', unchanged: 'unchanged', skipped: 'skip' };
const listOrder: ChangeAction[] = [...writeActions, 'skipped'];
const limits = { name: 300, message: 2000, short: 160, note: 1000 };

function prepare(section: TargetSection, index: number, prefix: '#' | '!'): Model {
  const target = clip(section.target, limits.name);
  const model: Model = { heading: `#### ${escapeText(target)}`, objects: [], problems: [], notes: [] };
  const preview = section.preview;
  if (preview?.outcome === 'planned') {
    const counts = summarize(preview.changes);
    const headline = `Preview of ${sha(preview.sha)}: ${previewCounts(counts)}`;
    model.headline = { full: headline, short: headline };
    model.table = table(counts);
    const listed = listOrder.flatMap((action) => preview.changes.filter((c) => c.action === action));
    model.objects = listed.map((change, i) => objectEntry(change, `${index}:${i}`));
  } else if (preview?.outcome === 'failed') {
    const line = (max: number) => `❌ Preview of ${sha(preview.sha)} failed${preview.message ? `: ${escapeText(clip(preview.message, max))}` : ''}`;
    model.headline = { full: line(limits.message), short: line(limits.short) };
    model.problems = preview.problems.map(problemLine);
  }
  if (section.deploy) {
    const deploy = section.deploy;
    model.deploy = { full: deployLine(target, deploy, limits.message), short: deployLine(target, deploy, limits.short) };
  }
  if (section.lock) {
    const { pr, user, at } = section.lock;
    const ref = Number.isSafeInteger(pr) ? `${prefix}${pr}` : escapeText(String(pr));
    model.lock = `🔒 Locked by ${ref} (${escapeText(clip(user, limits.name))}) since ${time(at)}: other deploys to **${escapeText(target)}** wait until it is unlocked (${code(`/unlock ${target}`)}).`;
  }
  model.notes = (section.notes ?? []).map((n) => `💬 ${escapeText(clip(n, limits.note), true)}`);
  return model;
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

function objectEntry(change: Change, id: string): ObjectEntry {
  const verb = verbs[change.action];
  const subject = code(clip(change.subject, limits.name));
  const from = change.file ? ` (${code(clip(change.file, limits.name))})` : '';
  const reason = change.reason ? `: ${escapeText(clip(change.reason, limits.message))}` : '';
  const entry: ObjectEntry = { line: `- **${verb}** ${subject}${from}${reason}` };
  const body = change.diff?.replace(/\r\n?/g, '\n').replace(/^\n+/, '').trimEnd();
  if (body && appliesObject(change)) {
    const diff: DiffEntry = { id, title: `**${verb}** ${subject}`, body, fence: fenceFor(body), lines: body.split('\n').length, size: 0 };
    diff.size = diffBlock(diff).length;
    entry.diff = diff;
  }
  return entry;
}

function problemLine(p: PreviewProblem): string {
  const names = [p.subject && code(clip(p.subject, limits.name)), p.file && code(clip(p.file, limits.name))].filter(Boolean);
  const where = names.length === 2 ? `${names[0]} (${names[1]})` : (names[0] ?? 'unknown object');
  return `- ${where}: ${escapeText(clip(p.message, limits.message))}`;
}

function deployLine(target: string, d: TargetDeploy, max: number): string {
  const of = `${sha(d.sha)} to **${escapeText(target)}**`;
  const message = d.message ? escapeText(clip(d.message, max)) : '';
  const because = message ? `: ${message}` : '';
  // what a stopped deploy had already written; a rollback restored the previous revision, so it is left out there
  const applied = d.summary && writeActions.some((a) => (d.summary![a] ?? 0) > 0) ? ` (${describeSummary(d.summary)} before it stopped)` : '';
  let line: string;
  switch (d.result) {
    case 'succeeded':
      line = `✅ Deployed ${of}${d.summary ? `: ${describeSummary(d.summary)}` : ''}`;
      break;
    case 'failed':
      line = `❌ Deploy of ${of} failed${applied}${because}`;
      break;
    case 'errored':
      // an error is not the change's fault (API down, timeout); a failure is
      line = `⚠️ Deploy of ${of} hit an error not caused by this change${applied}${because}`;
      break;
    case 'rolled back':
      // the target stays there: the schedule does not try the failed commit again (see README, Operations)
      line = `↩️ Deploy of ${of} failed and was rolled back${d.rolledBackTo ? ` to ${sha(d.rolledBackTo)}, held there until a newer commit or /deploy` : ''}${because}`;
      break;
    case 'superseded':
      line = `⏭️ Deploy of ${of} was skipped${message ? because : ': superseded by a newer commit'}`;
      break;
    case 'queued':
      line = `⏳ Deploy of ${of} is queued${because}`;
      break;
    case 'running':
      line = `🔄 Deploying ${of}${because}`;
      break;
  }
  const url = d.historyUrl && safeUrl(d.historyUrl);
  return url ? `${line} — [history](${url})` : line;
}

function assemble(models: readonly Model[], budget: Budget): string {
  const blocks = [commentMarker, '### Driftless'];
  if (models.length === 0) blocks.push('No target is affected by this pull request.');
  for (const m of models) blocks.push(...sectionBlocks(m, budget));
  return `${blocks.join('\n\n')}\n`;
}

function sectionBlocks(m: Model, budget: Budget): string[] {
  const full = budget.level === 'full';
  const blocks = [m.heading];
  if (m.headline) blocks.push(budget.level === 'headline' ? m.headline.short : m.headline.full);
  if (m.table && budget.level !== 'headline') blocks.push(m.table);
  if (m.objects.length > 0 && full) blocks.push(details(m, budget));
  if (m.problems.length > 0) {
    if (full) blocks.push(capped(m.problems, budget.cap, 'problem'));
    else blocks.push(`_${count(m.problems.length, 'problem')} not listed (comment size limit)._`);
  }
  if (!m.headline && !m.deploy) blocks.push('_No preview yet._');
  if (m.deploy) blocks.push(budget.level === 'headline' ? m.deploy.short : m.deploy.full);
  if (m.lock) blocks.push(m.lock);
  if (m.notes.length > 0 && full) blocks.push(m.notes.map((n) => `> ${n}`).join('\n>\n'));
  return blocks;
}

/** The collapsed object list, then the diffs of those objects. */
function details(m: Model, budget: Budget): string {
  const withDiff = m.objects.filter((o) => o.diff);
  const collapsed = budget.collapsed && withDiff.length > 0;
  const shown = collapsed ? [] : withDiff.filter((o) => !budget.omitted.has(o.diff!.id));
  const lines = m.objects.map((o) => (o.diff && !collapsed && budget.omitted.has(o.diff.id) ? `${o.line} — ${omittedNote(o.diff)}` : o.line));
  const parts = [capped(lines, budget.cap, 'object')];
  if (collapsed) {
    const total = withDiff.reduce((sum, o) => sum + o.diff!.lines, 0);
    parts.push(`_Diffs of ${count(withDiff.length, 'object')} (${count(total, 'line')}) omitted (comment size limit); run \`driftless diff\` or see the status details._`);
  }
  for (const o of shown) parts.push(diffBlock(o.diff!));
  const summary = `${count(m.objects.length, 'object')}${shown.length > 0 ? `, ${count(shown.length, 'diff')}` : ''}`;
  return `<details><summary>${summary}</summary>\n\n${parts.join('\n\n')}\n\n</details>`;
}

function diffBlock(d: DiffEntry): string {
  return `${d.title}\n\n${d.fence}diff\n${d.body}\n${d.fence}`;
}

function omittedNote(d: DiffEntry): string {
  return `_diff of ${count(d.lines, 'line')} omitted (comment size limit); run \`driftless diff\` or see the status details_`;
}

function capped(lines: readonly string[], cap: number, noun: string): string {
  if (lines.length <= cap) return lines.join('\n');
  const rest = lines.length - cap;
  const tail = cap === 0 ? `- … ${count(rest, noun)} not listed (comment size limit)` : `- … and ${rest} more ${rest === 1 ? noun : `${noun}s`} (comment size limit)`;
  return [...lines.slice(0, cap), tail].join('\n');
}

/** Marker, title and as many whole targets as fit, then how many did not. */
function cut(models: readonly Model[], budget: Budget, maxLength: number): string {
  const keep = [commentMarker, '### Driftless'];
  const tail = (n: number) => `_… ${count(n, 'more target')} not shown (comment size limit)._`;
  const length = (blocks: string[]) => blocks.join('\n\n').length + 1;
  if (length(keep) > maxLength) return `${commentMarker}\n`;
  for (const [i, m] of models.entries()) {
    const next = [...keep, ...sectionBlocks(m, budget)];
    const left = models.length - i - 1;
    if (length(left > 0 ? [...next, tail(left)] : next) > maxLength) {
      const withTail = [...keep, tail(models.length - i)];
      return `${(length(withTail) <= maxLength ? withTail : keep).join('\n\n')}\n`;
    }
    keep.splice(0, keep.length, ...next);
  }
  return `${keep.join('\n\n')}\n`;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function clip(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** Whitespace and control characters (newlines included) become one space: user text stays on its line. */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\s\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
}

const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/**
 * User-controlled text as inert inline markdown: no HTML, links, emphasis, code, math, table
 * cells or mentions. `keepLines` turns newlines into `<br>` instead of spaces.
 */
function escapeText(text: string, keepLines = false): string {
  const escape = (line: string) =>
    oneLine(line)
      .replace(/[&<>]/g, (c) => entities[c]!)
      .replace(/[\\`*_[\]|~$#]/g, '\\$&')
      // a zero-width space after @ keeps `@user` and `@org/team` from notifying anyone
      .replace(/@(?=[\w-])/g, '@\u200b')
      .replace(/^([-+=])/, '\\$1')
      .replace(/^(\d+)([.)])/, '$1\\$2');
  if (!keepLines) return escape(text);
  return text
    .split(/\r\n?|\n/)
    .map(escape)
    .filter(Boolean)
    .join('<br>');
}

/** An inline code span that no backtick inside can close. */
function code(text: string): string {
  const t = oneLine(text) || ' ';
  let longest = 0;
  for (const run of t.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  const ticks = '`'.repeat(longest + 1);
  const pad = t.startsWith('`') || t.endsWith('`') ? ' ' : '';
  return `${ticks}${pad}${t}${pad}${ticks}`;
}

/** A code fence longer than any backtick run in the body, so the body cannot close it. */
function fenceFor(body: string): string {
  let longest = 2;
  for (const run of body.matchAll(/`{3,}/g)) longest = Math.max(longest, run[0].length);
  return '`'.repeat(longest + 1);
}

function sha(value: string): string {
  return code(/^[0-9a-f]{7,64}$/i.test(value) ? value.slice(0, 7) : clip(value, 40));
}

/** `2026-11-26 09:30 UTC`; text that is not a time is shown escaped. */
function time(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? escapeText(clip(iso, 40)) : `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** http(s) URLs only, with the characters that would end a markdown link destination encoded. */
function safeUrl(url: string): string | undefined {
  if (!/^https?:\/\/[^\s]+$/i.test(url)) return undefined;
  return url.replace(/[()<>"'`\\[\]|]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}
