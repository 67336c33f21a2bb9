import { readFileSync } from 'node:fs';

/**
 * What this build is: the package version from package.json (one folder above both `src/` and
 * `dist/`, and beside `dist/` in the image) and the Node.js running it (`process.version`, e.g.
 * `v20.19.0`). Read once, at import; a missing package.json is a broken install and throws.
 */
export const buildInfo: { version: string; nodeVersion: string } = {
  version: (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version,
  nodeVersion: process.version,
};
