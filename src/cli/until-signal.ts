import type { Logger } from '../log.js';
import type { Service } from '../services.js';
import type { Tracing } from './tracing.js';

/**
 * Runs services until SIGTERM/SIGINT, then closes them, and then flushes `tracing` (when on), so
 * the spans of the jobs that finished during shutdown are exported too.
 */
export function runUntilSignal(log: Logger, services: Service[], tracing?: Tracing): Promise<number> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'shutting down');
      Promise.all(services.map((s) => s.close()))
        .finally(() => tracing?.shutdown())
        .then(
        () => {
          log.info('stopped');
          // a job handed back at shutdown may still have timers running: do not wait for them
          setTimeout(() => process.exit(0), 200).unref();
          resolve(0);
        },
        (err: unknown) => {
          log.error({ err }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
