/**
 * What a sync did, or would do, to one object. `adopted`: an existing object Git now declares
 * became this target's (and was applied); `released`: an adopted object Git dropped stays in the
 * cluster and stops being this target's.
 */
export type ChangeAction = 'created' | 'adopted' | 'configured' | 'unchanged' | 'deleted' | 'released' | 'skipped';

/** One line of a ChangeSet: the one result type for logs, statuses, PR comments and history. */
export interface Change {
  /** `Kind/namespace/name` or `Kind/name`. */
  subject: string;
  action: ChangeAction;
  /** Manifest file the object came from; absent for pruned objects. */
  file?: string;
  /** Line of `file` where the object starts (1-based), when the renderer knows it (plain YAML). */
  line?: number;
  /** Unified diff of the object (Secret values masked); for what is applied or deleted. */
  diff?: string;
  /** Why an object was skipped, adopted or released, or what else a change does (a takeover of fields). */
  reason?: string;
}

/**
 * The one result type of a sync or a preview (fluxcd/pkg ssa's ChangeSet): one Change per object,
 * in plan order, objects Git holds first, then those it dropped. Logs, statuses, the PR comment
 * and history all read it.
 */
export type ChangeSet = Change[];

/** Objects per action; the counts of `adopted` and `released` are absent from summaries recorded before those actions existed. */
export type ChangeSummary = Record<Exclude<ChangeAction, 'adopted' | 'released'>, number> & Partial<Record<'adopted' | 'released', number>>;
