import { loadConfig } from '../config/load.js';
import type { Config, TargetConfig } from '../config/schema.js';
import { createLogger, type Logger } from '../log.js';
import { resolveConfigPath } from './config-path.js';
import { configureNetwork } from './network.js';
import { outputFormat, type OutputFormat } from './output.js';
import { UsageError, type CommandLine } from './usage.js';

/** What a command that reads the config starts from. */
export interface Configured {
  file: string;
  config: Config;
  format: OutputFormat;
  log: Logger;
}

/**
 * Loads the config the command line names (see resolveConfigPath), applies its proxy and CA
 * settings and makes the logger: services log to stdout, as services do; a one-shot command's
 * stdout is its answer, so it logs to stderr.
 */
export async function configure(line: CommandLine, logTo: 'stdout' | 'stderr'): Promise<Configured> {
  const file = resolveConfigPath(line.options.config);
  if (!file) throw new UsageError(`${line.command} needs a config file: --config FILE, $DRIFTLESS_CONFIG, or ./driftless.yaml`);
  const format = outputFormat(line.options.output);
  const config = await loadConfig(file);
  await configureNetwork(config.git, file);
  const log = createLogger({ destination: logTo === 'stdout' ? process.stdout : process.stderr });
  return { file, config, format, log };
}

/** The target `--target` names; without one, or with an unknown one, a usage error. */
export function targetOf(config: Config, name: string | undefined): TargetConfig {
  if (!name) throw new UsageError('--target T is required');
  const t = config.targets.find((x) => x.name === name);
  if (!t) throw new UsageError(`unknown target ${name}; configured: ${config.targets.map((x) => x.name).join(', ')}`);
  return t;
}
