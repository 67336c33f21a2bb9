/** Why a sync runs. Small and serializable: it travels through Redis in job data and history. */
export interface Trigger {
  /** A merge arrives as a `push` to the branch. */
  kind: 'push' | 'comment' | 'schedule' | 'api' | 'rollback';
  /** Webhook delivery id, or a generated id for CLI/API/scheduled runs. */
  deliveryId: string;
  actor: string;
  pr?: number;
}

/**
 * Whether a person asked for this sync (a comment command, the CLI or API, a rollback), as
 * opposed to an automatic one (a push, merges included, or the reconcile schedule). A person's request may
 * retry a revision that failed for good; automation never does.
 */
export function requestedByPerson(trigger: Pick<Trigger, 'kind'>): boolean {
  return trigger.kind === 'comment' || trigger.kind === 'api' || trigger.kind === 'rollback';
}
