import { loadConfig } from '../config/load.js';
import { resolveConfigPath } from './config-path.js';
import { printLine } from './output.js';
import { UsageError, type CommandLine } from './usage.js';

/** `validate-config [FILE]`: loads the config as the services would and names its targets, or every problem. */
export async function validateConfig(line: CommandLine): Promise<number> {
  const file = line.positionals[0] ?? resolveConfigPath(line.options.config);
  if (!file) throw new UsageError('validate-config needs a FILE (or $DRIFTLESS_CONFIG, ./driftless.yaml)');
  const config = await loadConfig(file);
  printLine(`${file}: valid (${config.targets.length} target${config.targets.length === 1 ? '' : 's'}: ${config.targets.map((t) => t.name).join(', ')})`);
  return 0;
}
