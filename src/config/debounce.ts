import { z } from 'zod';
import { duration } from './duration.js';
import { bool } from './fields.js';

/**
 * `targets[].debounce`: how a burst of pushes to one target becomes one deploy. While pushes
 * keep arriving (several are pending, or the newest arrived while a sync of the target ran), a
 * push's sync waits until none came for `quiet`, but never longer than `maxWait` after the
 * oldest waiting push, so a steady stream still deploys. A lone push to a quiet target deploys at
 * once. Both parse to milliseconds.
 *
 * Flux and Argo CD have no such setting (every reconcile takes the newest revision); the idea is
 * CI's: Jenkins's "quiet period" and GitLab's and Buildkite's "auto-cancel redundant pipelines" /
 * "skip intermediate builds", with a debounce's `maxWait` (lodash's `debounce`) as the bound.
 * Unlike Jenkins, the first push is never delayed.
 */
export const debounceSchema = z
  .strictObject({
    /** Whether bursts are debounced at all; off, every push's sync runs as soon as a worker takes it. */
    enabled: bool().default(true),
    /** Quiet time after the newest push, in milliseconds (written `1s`), before a burst deploys. */
    quiet: duration.prefault('1s'),
    /** Longest wait after the oldest waiting push, in milliseconds (written `15s`). */
    maxWait: duration.prefault('15s'),
  })
  .refine((d) => d.quiet <= d.maxWait, { message: 'quiet must not be longer than maxWait', path: ['quiet'] });

export type DebounceConfig = z.output<typeof debounceSchema>;
