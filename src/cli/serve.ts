import { startWeb } from '../services.js';
import { configure } from './context.js';
import { runUntilSignal } from './until-signal.js';
import type { CommandLine } from './usage.js';

/** `serve`: the web (webhooks, API, dashboard, health, metrics) until a signal stops it. */
export async function serve(line: CommandLine): Promise<number> {
  const { config, file, log } = await configure(line, 'stdout');
  return runUntilSignal(log, [await startWeb(config, file, log)]);
}
