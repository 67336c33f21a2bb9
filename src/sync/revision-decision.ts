import type { PendingRevision, RevisionFailure, RevisionState } from '../model/revision.js';
import type { PushActivity } from '../store/revisions.js';

/** Everything the choice of a revision depends on, gathered when the sync starts. */
export interface RevisionDecisionInput {
  /** A revision a person named (`/deploy <sha>`, `/rollback`, `--revision`): deployed exactly. */
  requested?: string;
  /** A person asked for this sync (comment, CLI, API): a head that failed for good is retried. */
  byPerson: boolean;
  /** The branch head as the git host reports it now; undefined when the branch does not exist. */
  head: string | undefined;
  /** Revisions deliveries named since the last sync, oldest first. */
  pending: readonly PendingRevision[];
  state: RevisionState;
  /** Permanent failures recorded for the head, by commit. */
  failures: Readonly<Record<string, RevisionFailure>>;
  /** Pending revisions that already have their terminal status (a late or repeated delivery). */
  settled: ReadonlySet<string>;
  /** The reconcile schedule asks: an applied revision is planned against the live cluster for drift. Otherwise it is left alone. */
  driftCheck: boolean;
}

/** A pending revision settled without being deployed, with the terminal message it gets. */
export interface SettledRevision {
  revision: PendingRevision;
  message: string;
}

/**
 * What the sync does:
 * - `deploy`: the full sync of `revision` (apply, prune, wait), reported as a deploy;
 * - `reconcile`: plan `revision`, which the target should already run, against the live cluster;
 *   drift is warned about or healed by the same straight line;
 * - `skip`: nothing to do, for `reason`.
 */
export interface RevisionDecision {
  action: 'deploy' | 'reconcile' | 'skip';
  revision?: string;
  /** The pending entry of `revision`, whose trigger (delivery, actor) the deploy reports under. */
  pendingEntry?: PendingRevision;
  /** Why, in a sentence a user reads in logs and `driftless status`. */
  reason: string;
  /** Pending revisions that get a terminal "superseded" status. */
  superseded: SettledRevision[];
  /** Pending revisions that already have their terminal status (a late or repeated delivery): removed quietly. */
  dropped: PendingRevision[];
  /** Whether a hold after an automatic rollback ends with this sync. */
  releaseHold: boolean;
}

const short = (sha: string) => sha.slice(0, 7);

/**
 * Branch truth (README, "Health, rollback, reconcile" and Operations): a delivery only says "look again". An automatic
 * sync deploys the branch head as the git host reports it now, never a pending sha by its
 * ancestry, so a rewound branch deploys its rewound head and a replayed or late delivery cannot
 * move a target off its head. A head that failed for a permanent reason is not attempted again
 * automatically (argoproj/argo-cd#9570, "rollback aware auto-sync"): the target is reconciled
 * toward what it should run instead (the revision it was held at, or the last applied one).
 * A person's request retries; a named revision is deployed exactly.
 */
export function decideRevision(input: RevisionDecisionInput): RevisionDecision {
  // one terminal status per commit: a late or repeated delivery of a commit that has one changes nothing
  const late = input.pending.filter((p) => input.settled.has(p.sha) && p.sha !== input.head);
  const decided = decide({ ...input, pending: input.pending.filter((p) => !late.includes(p)) });
  const decision = { ...decided, dropped: [...late, ...decided.dropped] };
  // only the schedule looks for drift; a delivery for what already runs has nothing to do
  return decision.action === 'reconcile' && !input.driftCheck ? { ...decision, action: 'skip', revision: undefined } : decision;
}

function decide(input: RevisionDecisionInput): RevisionDecision {
  const { requested, head, pending, state } = input;
  if (requested) {
    return { action: 'deploy', revision: requested, pendingEntry: pending.find((p) => p.sha === requested), reason: `${short(requested)} was requested`, superseded: [], dropped: [], releaseHold: true };
  }
  if (!head) {
    return { action: 'skip', reason: 'the branch does not exist on the git host', superseded: pending.map((revision) => ({ revision, message: 'superseded: the branch no longer exists' })), dropped: [], releaseHold: false };
  }
  const pendingEntry = pending.find((p) => p.sha === head);
  const superseded = pending.filter((p) => p.sha !== head).map((revision) => ({ revision, message: `superseded by ${short(head)}` }));
  if (input.byPerson) {
    return { action: 'deploy', revision: head, pendingEntry, reason: `the branch head ${short(head)} was requested`, superseded, dropped: [], releaseHold: true };
  }
  const failure = input.failures[head];
  if (failure) {
    // its failure status is already posted: a redelivery of the head changes nothing
    const dropped = pendingEntry ? [pendingEntry] : [];
    const held = state.held?.from === head ? state.held : undefined;
    const keep = held?.at ?? state.lastApplied;
    const reason = held
      ? `rolled back from ${short(held.from)}; held at ${short(held.at)} until a newer commit`
      : `${short(head)} failed${failure.stage ? ` at ${failure.stage}` : ''} and is not retried automatically (a new commit, /deploy or driftless sync retries it)`;
    if (!keep) return { action: 'skip', reason, superseded, dropped, releaseHold: false };
    return { action: 'reconcile', revision: keep, reason, superseded, dropped, releaseHold: false };
  }
  const releaseHold = state.held !== undefined;
  if (head === state.lastApplied) {
    return { action: 'reconcile', revision: head, reason: `${short(head)} is the branch head and applied`, superseded, dropped: pendingEntry ? [pendingEntry] : [], releaseHold };
  }
  const reason = pendingEntry ? `${short(head)} is the new branch head` : `the branch head ${short(head)} was never deployed (a lost webhook?)`;
  return { action: 'deploy', revision: head, pendingEntry, reason, superseded, dropped: [], releaseHold };
}

/** A target's debounce settings, in milliseconds (`targets[].debounce`). */
export interface DebounceSettings {
  enabled: boolean;
  quiet: number;
  maxWait: number;
}

/**
 * When a push's sync should run, as a debounce: undefined for now, else the time (milliseconds
 * since the epoch) to look again. Only a burst waits: several pending revisions, or a newest one
 * that arrived while a sync of the target ran (it had to wait anyway). A burst runs once no push
 * came for `quiet`, or once its oldest push has waited `maxWait`, so a steady stream still
 * deploys. A lone push to a quiet target runs at once: push → applied has no fixed delay.
 * Source: CI's quiet period and "auto-cancel redundant builds" (see debounceSchema).
 */
export function quietUntil(activity: PushActivity, now: number, debounce: DebounceSettings): number | undefined {
  const { pending, oldest, newest, lastRunEndedAt } = activity;
  if (!debounce.enabled || pending === 0 || oldest === undefined || newest === undefined) return undefined;
  const burst = pending > 1 || (lastRunEndedAt !== undefined && newest < lastRunEndedAt);
  if (!burst) return undefined;
  const until = Math.min(newest + debounce.quiet, oldest + debounce.maxWait);
  return until > now ? until : undefined;
}
