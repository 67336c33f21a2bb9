import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import path from 'node:path';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const envFile = path.join(root, '.testenv', 'env');

function loadEnv(text: string): void {
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) process.env[line.slice(0, eq)] = line.slice(eq + 1);
  }
}

/**
 * Uses a test environment that is already up (`scripts/testenv up`), or starts one for this
 * run and stops it afterwards. Test files read REDIS_URL, KUBECONFIG and KUBECTL from the env.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const wasUp = existsSync(envFile);
  const testenv = path.join(root, 'scripts', 'testenv');
  await run(testenv, ['up'], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
  loadEnv(readFileSync(envFile, 'utf8'));
  return async () => {
    if (!wasUp) await run(testenv, ['down'], { cwd: root });
  };
}
