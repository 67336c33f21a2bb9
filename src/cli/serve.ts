import { startWeb } from '../services.js';
import { configure } from './context.js';
import { startTracing } from './tracing.js';
import { runUntilSignal } from './until-signal.js';
import type { CommandLine } from './usage.js';

/** `serve`: the web (webhooks, API, dashboard, health, metrics) until a signal stops it. */
export async function serve(line: CommandLine): Promise<number> {
  const { config, file, log } = await configure(line, 'stdout');
  // before the queues exist: they carry trace context only if tracing is on when they are made
  const tracing = await startTracing('driftless-web', log);
  return runUntilSignal(log, [await startWeb(config, file, log)], tracing);
}
