import { existsSync } from 'node:fs';
import path from 'node:path';

/** Where the container image and the Helm chart mount the config file. */
export const mountedConfigPath = '/etc/driftless/config/driftless.yaml';

/** The config file next to the command, as the quick start writes it. */
export const localConfigName = 'driftless.yaml';

/**
 * Which config file a command reads, and why: `--config` if given, else `$DRIFTLESS_CONFIG`,
 * else `./driftless.yaml` when it exists in `cwd`, else the image's mounted
 * `/etc/driftless/config/driftless.yaml` when it exists. `undefined` when none applies; a path
 * named by the flag or the variable is returned even if missing, so loading it names it.
 */
export function resolveConfigPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string | undefined {
  if (flag) return flag;
  if (env.DRIFTLESS_CONFIG) return env.DRIFTLESS_CONFIG;
  const local = path.join(cwd, localConfigName);
  if (existsSync(local)) return local;
  return existsSync(mountedConfigPath) ? mountedConfigPath : undefined;
}
