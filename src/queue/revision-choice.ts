import type { PendingRevision } from '../store/revisions.js';

/** Answers "is a an ancestor of (or equal to) b" from the repository's history. */
export type AncestryCheck = (a: string, b: string) => Promise<boolean>;

export type RevisionChoice =
  | { deploy: PendingRevision; superseded: PendingRevision[] }
  | { deploy: undefined; superseded: PendingRevision[]; reason: string };

/**
 * Newest wins: of the pending revisions, deploy the one every other one leads to (the branch
 * tip), falling back to the one received last when history diverged (a force push). A
 * revision that is an ancestor of what is already deployed is never deployed.
 */
export async function chooseRevision(pending: readonly PendingRevision[], deployedSha: string | undefined, isAncestor: AncestryCheck): Promise<RevisionChoice> {
  const byArrival = [...pending].sort((a, b) => b.receivedAt - a.receivedAt);
  let chosen: PendingRevision | undefined;
  for (const candidate of byArrival) {
    const others = byArrival.filter((p) => p.sha !== candidate.sha);
    const leadsHere = await Promise.all(others.map((o) => isAncestor(o.sha, candidate.sha)));
    if (leadsHere.every(Boolean)) {
      chosen = candidate;
      break;
    }
  }
  chosen ??= byArrival[0];
  if (!chosen) return { deploy: undefined, superseded: [], reason: 'nothing pending' };
  const superseded = byArrival.filter((p) => p.sha !== chosen.sha);
  if (deployedSha && chosen.sha !== deployedSha && (await isAncestor(chosen.sha, deployedSha))) {
    return { deploy: undefined, superseded: byArrival, reason: `older than the deployed ${deployedSha.slice(0, 7)}` };
  }
  return { deploy: chosen, superseded };
}
