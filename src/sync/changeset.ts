import type { Change, ChangeAction, ChangeSet, ChangeSummary } from '../model/change.js';

export type { Change, ChangeAction, ChangeSet, ChangeSummary };

export function summarize(changes: readonly Change[]): Required<ChangeSummary> {
  const summary: Required<ChangeSummary> = { created: 0, adopted: 0, configured: 0, unchanged: 0, deleted: 0, released: 0, skipped: 0 };
  for (const c of changes) summary[c.action] += 1;
  return summary;
}

/** `2 created, 1 configured, 1 deleted` (unchanged objects are only counted when nothing else happened). */
export function describeSummary(summary: ChangeSummary): string {
  const parts = ([...writeActions, 'skipped'] as const)
    .filter((a) => (summary[a] ?? 0) > 0)
    .map((a) => `${summary[a]} ${a}`);
  if (parts.length === 0) return summary.unchanged > 0 ? `no changes (${summary.unchanged} unchanged)` : 'no objects';
  return parts.join(', ');
}

/** Changes that apply (or would apply) Git's version of the object. */
export function appliesObject(change: Change): boolean {
  return change.action === 'created' || change.action === 'adopted' || change.action === 'configured';
}

/** Actions that write to the cluster, in the order reports list them. */
export const writeActions = ['created', 'adopted', 'configured', 'deleted', 'released'] as const satisfies readonly ChangeAction[];

/** Changes that wrote to (or would write to) the cluster. */
export function isWrite(change: Change): boolean {
  return (writeActions as readonly ChangeAction[]).includes(change.action);
}

/** What a plan would do, in a preview's words: `2 to create, 1 to change, 1 to prune`. */
export function describePlan(summary: ChangeSummary): string {
  const parts = [
    [summary.created, 'to create'],
    [summary.adopted ?? 0, 'to adopt'],
    [summary.configured, 'to change'],
    [summary.deleted, 'to prune'],
    [summary.released ?? 0, 'to release'],
  ].filter(([n]) => (n as number) > 0).map(([n, words]) => `${n} ${words}`);
  return parts.length ? parts.join(', ') : `no changes (${summary.unchanged} unchanged)`;
}

/** Diff text kept per history entry, in UTF-16 code units: 200 entries per target stay a few MiB of Redis at most. */
export const historyDiffBudget = 64 * 1024;

/**
 * The writes of a ChangeSet as history keeps them: every written object, each with its (masked)
 * diff while the entry's budget lasts; past it, objects are listed without their diffs.
 */
export function historyChanges(changes: readonly Change[], budget = historyDiffBudget): ChangeSet {
  let left = budget;
  return changes.filter(isWrite).map((c) => {
    if (!c.diff || c.diff.length > left) return { ...c, diff: undefined };
    left -= c.diff.length;
    return c;
  });
}
