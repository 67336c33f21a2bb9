/**
 * The render limits of a target whose configuration sets none (the defaults of
 * renderLimitsSchema in render.ts): bytes, objects, milliseconds, MiB. A module without zod, so
 * a render thread that needs the defaults loads nothing else of the configuration.
 */
export const renderLimitDefaults = {
  maxFileBytes: 4 * 1024 * 1024,
  maxTotalBytes: 8 * 1024 * 1024,
  maxObjects: 10_000,
  timeout: 60_000,
  maxMemoryMb: 256,
} as const;
