import { z } from 'zod';
import { int } from './fields.js';

/** `worker:` how much one `driftless worker` process does at once. */
export const workerSchema = z.strictObject({
  /**
   * Sync jobs one worker runs at once, each for a different target (one target's syncs are always
   * serial: a per-target lock). One worker is one Node.js thread: past a few syncs at once, they
   * share its CPU (100 targets pushed at once on 2 cores: 4 → 40 s, 16 → 53 s); run more workers.
   */
  syncConcurrency: int(1, 256).default(4),
});
