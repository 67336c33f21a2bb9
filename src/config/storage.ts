import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { url } from './fields.js';

/** `redis:` where queues, locks, revisions and history live. */
export const redisSchema = z.strictObject({
  /** The REDIS_URL environment variable overrides it. */
  url: url(/^rediss?$/, 'a redis:// or rediss:// URL').default('redis://127.0.0.1:6379'),
  /** Prefix of every key and queue. */
  prefix: z.string().min(1).default('driftless'),
});

/** `git:` the local cache of fetched repositories. */
export const gitSchema = z.strictObject({
  /** Where fetched repositories are cached; relative paths are resolved against the file's directory. */
  cacheDir: z
    .string()
    .min(1)
    .default(() => path.join(os.tmpdir(), 'driftless-git')),
  /**
   * A PEM bundle of extra certificate authorities (a company's own) trusted for HTTPS besides
   * Node's built-in ones: by git fetches and by the provider, chart-repository and notification
   * clients. Relative paths are resolved against the file's directory.
   */
  caFile: z.string().min(1).optional(),
});
