import { buildInfo } from '../version.js';
import { formatData, outputFormat } from './output.js';
import type { CommandLine } from './usage.js';

/** `version`: `driftless 0.1.0 (node v20.19.0)`, or `{ version, nodeVersion }` as JSON or YAML. */
export async function version(line: CommandLine): Promise<number> {
  const format = outputFormat(line.options.output);
  process.stdout.write(format === 'human' ? `driftless ${buildInfo.version} (node ${buildInfo.nodeVersion})\n` : formatData(buildInfo, format));
  return 0;
}
