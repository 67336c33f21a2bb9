import { z } from 'zod';
import { bool } from './fields.js';

/** How to reach a cluster: a kubeconfig file (and context), or the pod's service account. */
export type ClusterConfig =
  | {
      inCluster: false;
      /** Absolute path (relative paths in the file are resolved against the file's directory). */
      kubeconfig: string;
      /** Context in the kubeconfig; its current context when absent. */
      context?: string;
    }
  | { inCluster: true };

/** One entry of `clusters:`: `kubeconfig` (with an optional `context`) or `inCluster: true`. */
export const clusterSchema = z
  .strictObject({
    kubeconfig: z.string().min(1).optional(),
    context: z.string().min(1).optional(),
    inCluster: bool().optional(),
  })
  .superRefine((c, ctx) => {
    if (c.inCluster === true) {
      if (c.kubeconfig !== undefined) {
        ctx.addIssue({ code: 'custom', message: 'set either kubeconfig or inCluster: true, not both', path: ['inCluster'] });
      }
      if (c.context !== undefined) {
        ctx.addIssue({ code: 'custom', message: 'context only applies with kubeconfig', path: ['context'] });
      }
    } else if (c.kubeconfig === undefined) {
      ctx.addIssue({ code: 'custom', message: 'expected kubeconfig: <path> (with an optional context) or inCluster: true' });
    }
  })
  .transform((c): ClusterConfig => {
    if (c.inCluster === true || c.kubeconfig === undefined) return { inCluster: true };
    return c.context === undefined
      ? { inCluster: false, kubeconfig: c.kubeconfig }
      : { inCluster: false, kubeconfig: c.kubeconfig, context: c.context };
  });
