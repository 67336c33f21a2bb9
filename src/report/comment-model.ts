// What a pull request's comment shows, as data, and how it is shortened to fit: the targets in
// order, their rows, the limits on user text, and the ladder of budgets tried until one fits.
// comment-markdown.ts turns a model and a budget into text.
import type { Change, ChangeSummary } from '../model/change.js';
import type { FailedPreview, TargetDeploy, TargetLock, TargetSection } from '../model/pull-comment.js';
import { appliesObject, summarize, writeActions } from '../sync/changeset.js';

/** Most characters of user text shown: names (targets, objects, files, users), messages, messages of a shortened comment, notes. */
export const limits = { name: 300, message: 2000, short: 160, note: 1000 };

/** One target's part of the comment, its user text as given (escaping is the renderer's). */
export interface TargetView {
  target: string;
  preview?: PlannedView | FailedPreview;
  deploy?: TargetDeploy;
  lock?: TargetLock;
  notes: readonly string[];
}

/** A planned preview: the counts per action, then one row per object, writes first. */
export interface PlannedView {
  outcome: 'planned';
  sha: string;
  counts: ChangeSummary;
  rows: ObjectRow[];
}

/** One object of a planned preview; `diff` only for objects a deploy would apply. */
export interface ObjectRow {
  change: Change;
  diff?: DiffView;
}

export interface DiffView {
  /** `target index:row index`, unique within one comment. */
  id: string;
  /** The unified diff, newlines normalized, without leading blank lines or trailing space. */
  body: string;
  lines: number;
}

/** Objects are listed writes first, in the order reports list them, then the skipped ones. */
const rowOrder = [...writeActions, 'skipped'] as const;

/** The comment's targets sorted by name (numeric: `web-2` before `web-10`), each with its rows. */
export function commentModel(sections: readonly TargetSection[]): TargetView[] {
  return [...sections]
    .sort((a, b) => a.target.localeCompare(b.target, 'en', { numeric: true }))
    .map((section, index) => targetView(section, index));
}

function targetView(section: TargetSection, index: number): TargetView {
  const { target, preview, deploy, lock, notes = [] } = section;
  const view: TargetView = { target, notes, ...(deploy && { deploy }), ...(lock && { lock }) };
  if (preview?.outcome === 'planned') {
    const listed = rowOrder.flatMap((action) => preview.changes.filter((c) => c.action === action));
    view.preview = { outcome: 'planned', sha: preview.sha, counts: summarize(preview.changes), rows: listed.map((change, i) => objectRow(change, `${index}:${i}`)) };
  } else if (preview?.outcome === 'failed') {
    view.preview = preview;
  }
  return view;
}

function objectRow(change: Change, id: string): ObjectRow {
  const body = change.diff?.replace(/\r\n?/g, '\n').replace(/^\n+/, '').trimEnd();
  if (!body || !appliesObject(change)) return { change };
  return { change, diff: { id, body, lines: body.split('\n').length } };
}

/** How much of the comment is shown; each step of the ladder in fitComment lowers it. */
export interface Budget {
  /**
   * `full`: everything the other fields allow; `brief`: no details, lists or notes; `headline`: no
   * tables, short messages; `title`: the marker and title alone; `marker`: the marker alone.
   */
  level: 'full' | 'brief' | 'headline' | 'title' | 'marker';
  /** Diffs (by id) replaced by a note. */
  omitted: Set<string>;
  /** All diffs of a target replaced by one note. */
  collapsed: boolean;
  /** Most entries shown per object or problem list. */
  cap: number;
  /** How many targets are shown, the first ones; the rest are counted in one line. */
  shown: number;
}

/** A comment's text under any budget, and the sizes fitComment estimates with. */
export interface CommentLayout {
  render(budget: Budget): string;
  /** Length of a diff's rendered block, and how much shorter the comment gets when a note replaces it. */
  diffSize(diff: DiffView): { block: number; saved: number };
}

/**
 * The fullest text of the comment within `maxLength` characters. Each step is kept only if still
 * needed: diffs are replaced by a note, largest first; then object and problem lists are cut
 * short; then the collapsed details, notes and tables go; last, whole targets. The marker alone
 * must fit in `maxLength`.
 */
export function fitComment(targets: readonly TargetView[], layout: CommentLayout, maxLength: number): string {
  const fits = (budget: Budget) => {
    const text = layout.render(budget);
    return text.length <= maxLength ? text : undefined;
  };

  const budget: Budget = { level: 'full', omitted: new Set(), collapsed: false, cap: Infinity, shown: targets.length };
  let text = layout.render(budget);
  if (text.length <= maxLength) return text;

  // 1. replace diffs by a note, largest first, until the comment fits
  const diffs = targets
    .flatMap((t) => (t.preview?.outcome === 'planned' ? t.preview.rows.flatMap((r) => (r.diff ? [{ diff: r.diff, ...layout.diffSize(r.diff) }] : [])) : []))
    .sort((a, b) => b.block - a.block);
  let length = text.length;
  for (let next = 0; next < diffs.length; ) {
    // estimate the length after each omission instead of rendering again; the render below is exact
    for (; next < diffs.length && length > maxLength; next++) {
      const { diff, saved } = diffs[next]!;
      budget.omitted.add(diff.id);
      length -= saved;
    }
    text = layout.render(budget);
    if (text.length <= maxLength) return text;
    length = text.length;
  }

  // 2. one note per target for all its diffs, and lists cut to the longest length that fits
  budget.collapsed = true;
  const collapsed = fits(budget);
  if (collapsed !== undefined) return collapsed;
  const longest = Math.max(0, ...targets.map(listLength));
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

  // 5. as many whole targets as fit, the rest counted; else the title; else the marker
  const headline: Budget = { ...budget, level: 'headline' };
  let shown = 0;
  while (shown < targets.length && fits({ ...headline, shown: shown + 1 }) !== undefined) shown++;
  return fits({ ...headline, shown }) ?? fits({ ...headline, level: 'title' }) ?? layout.render({ ...headline, level: 'marker' });
}

/** Entries in the target's longest list: its objects or its problems. */
function listLength(t: TargetView): number {
  if (t.preview?.outcome === 'planned') return t.preview.rows.length;
  return t.preview?.problems.length ?? 0;
}
