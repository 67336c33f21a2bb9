import type { Redis } from 'ioredis';
import type { TestEnv } from './env.js';
import type { Admin } from './kube.js';

/** What every row gets from bench/run.ts. */
export interface BenchContext {
  /** Small sizes and short durations, for developing the bench. */
  quick: boolean;
  /** targets[].concurrency of the deploy targets; the product's default when unset. */
  concurrency?: number;
  /** Run Driftless's processes with --cpu-prof. */
  profile: boolean;
  /** Logs, profiles and raw JSON of this run. */
  outDir: string;
  /** Distinguishes this run's Redis prefixes. */
  runId: string;
  env: TestEnv;
  redis: Redis;
  admin: Admin;
  /** Child programs compiled to .mjs, by their path under bench/. */
  scripts: Map<string, string>;
  progress(message: string): void;
}
