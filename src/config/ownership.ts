import { z } from 'zod';
import { bool, int } from './fields.js';

/** kubectl's field managers (client-side apply, edit, patch, server-side apply, and fields from before the first apply). */
export const kubectlFieldManagers = ['kubectl-client-side-apply', 'kubectl-edit', 'kubectl-patch', 'kubectl', 'before-first-apply'] as const;

/** Which existing objects a target may adopt: only manifests annotated `driftless.io/adopt: "true"`, also objects `kubectl apply` wrote, or any. */
export const adoptPolicies = ['annotated', 'kubectl-applied', 'all'] as const;

/** What one target owns; the rules are in the README's "Pruning and ownership". */
export const ownershipSchema = z.strictObject({
  /** Field managers (exact names) whose fields Driftless takes over before applying, so that what Git removes is removed; `[]` takes over nothing. */
  takeOverFrom: z.array(z.string().min(1)).default([...kubectlFieldManagers]),
  /** Existing objects this target may adopt besides manifests annotated `driftless.io/adopt: "true"`: none more (`annotated`), objects last written by `kubectl apply` (`kubectl-applied`), any (`all`). */
  adopt: z.enum(adoptPolicies).default('kubectl-applied'),
  /** A sync may delete at most this many objects per object Git keeps; a sync that would delete more stops before it changes anything. */
  maxPruneRatio: int(0, 1000).default(2),
  /** Lets syncs delete more than `maxPruneRatio` allows: set it for an intended mass removal, then unset it. */
  allowMassPrune: bool().default(false),
});
export type OwnershipConfig = z.output<typeof ownershipSchema>;
