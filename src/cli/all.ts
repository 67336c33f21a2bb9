import { Metrics } from '../metrics.js';
import { startWeb, startWorkers } from '../services.js';
import { configure } from './context.js';
import { startTracing } from './tracing.js';
import { runUntilSignal } from './until-signal.js';
import type { CommandLine } from './usage.js';

/** `all`: the workers and the web in one process, sharing one metrics registry. */
export async function all(line: CommandLine): Promise<number> {
  const { config, file, log } = await configure(line, 'stdout');
  const tracing = await startTracing('driftless', log);
  const metrics = new Metrics();
  return runUntilSignal(log, [await startWorkers(config, log, { metrics }), await startWeb(config, file, log, metrics)], tracing);
}
