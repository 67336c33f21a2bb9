import { startWorkers } from '../services.js';
import { configure } from './context.js';
import { startTracing } from './tracing.js';
import { runUntilSignal } from './until-signal.js';
import type { CommandLine } from './usage.js';

/** `worker`: the sync, report and pulls workers, with their own health and metrics on the server port. */
export async function worker(line: CommandLine): Promise<number> {
  const { config, log } = await configure(line, 'stdout');
  const tracing = await startTracing('driftless-worker', log);
  return runUntilSignal(log, [await startWorkers(config, log, { port: config.server.port })], tracing);
}
