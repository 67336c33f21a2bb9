/** What a sync did, or would do, to one object. */
export type ChangeAction = 'created' | 'configured' | 'unchanged' | 'deleted' | 'skipped';

/** One line of a ChangeSet: the one result type for logs, statuses, PR comments and history. */
export interface Change {
  /** `Kind/namespace/name` or `Kind/name`. */
  subject: string;
  action: ChangeAction;
  /** Manifest file the object came from; absent for pruned objects. */
  source?: string;
  /** Unified diff of the object (Secret values masked); only for created and configured. */
  diff?: string;
  /** Why an object was skipped. */
  reason?: string;
}

export type ChangeSummary = Record<ChangeAction, number>;

export function summarize(changes: readonly Change[]): ChangeSummary {
  const summary: ChangeSummary = { created: 0, configured: 0, unchanged: 0, deleted: 0, skipped: 0 };
  for (const c of changes) summary[c.action] += 1;
  return summary;
}

/** `2 created, 1 configured, 1 deleted` (unchanged objects are only counted when nothing else happened). */
export function describeSummary(summary: ChangeSummary): string {
  const parts = (['created', 'configured', 'deleted', 'skipped'] as const)
    .filter((a) => summary[a] > 0)
    .map((a) => `${summary[a]} ${a}`);
  if (parts.length === 0) return summary.unchanged > 0 ? `no changes (${summary.unchanged} unchanged)` : 'no objects';
  return parts.join(', ');
}

/** Changes that wrote to (or would write to) the cluster. */
export function isWrite(change: Change): boolean {
  return change.action === 'created' || change.action === 'configured' || change.action === 'deleted';
}

/** What a plan would do, in a preview's words: `2 to create, 1 to change, 1 to prune`. */
export function describePlan(summary: ChangeSummary): string {
  const parts = [
    [summary.created, 'to create'],
    [summary.configured, 'to change'],
    [summary.deleted, 'to prune'],
  ].filter(([n]) => (n as number) > 0).map(([n, words]) => `${n} ${words}`);
  return parts.length ? parts.join(', ') : `no changes (${summary.unchanged} unchanged)`;
}
