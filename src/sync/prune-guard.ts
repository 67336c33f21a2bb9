import type { OwnershipConfig } from '../config/schema.js';
import { ManifestError } from '../errors.js';
import type { Change } from './changeset.js';

/**
 * A sync would delete far more than it keeps: most often a render that lost most of the set (a
 * wrong path, an overlay without its base), not an intended removal. It stops before anything is
 * written and lists what would have been deleted. Like Argo CD's `allowEmpty`, an explicit
 * opt-in lets it through.
 */
export class PruneGuardError extends ManifestError {
  constructor(
    readonly target: string,
    readonly deleting: readonly Change[],
    readonly keeping: number,
    readonly maxPruneRatio: number,
  ) {
    super('plan', deleting.map((c) => ({ subject: c.subject, file: '(pruned)', message: 'would be deleted' })));
    const limit = keeping === 0 ? 'it would empty the target' : `more than ${maxPruneRatio} deleted per object kept (ownership.maxPruneRatio)`;
    this.message =
      `prune stopped before any change: this sync would delete ${deleting.length} of target ${target}'s objects and keep ${keeping}; ${limit}. ` +
      `If Git really drops them, set ownership.allowMassPrune: true for target ${target} and sync again (then unset it); ` +
      `otherwise check what the commit renders (path, kustomize overlay):\n` +
      this.problems.map((p) => `  - ${p.subject}: ${p.message}`).join('\n');
  }
}

/** Throws PruneGuardError when the planned deletions exceed what the target's ownership policy allows. */
export function guardPrune(target: string, deleting: readonly Change[], keeping: number, policy: Pick<OwnershipConfig, 'maxPruneRatio' | 'allowMassPrune'>): void {
  if (policy.allowMassPrune || deleting.length === 0) return;
  if (deleting.length > policy.maxPruneRatio * keeping) throw new PruneGuardError(target, deleting, keeping, policy.maxPruneRatio);
}
