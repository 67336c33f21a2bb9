import { execFile } from 'node:child_process';
import { constants, existsSync, readFileSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { promisify } from 'node:util';
import path from 'node:path';
import { Redis } from 'ioredis';
import { KubeClient } from '../../src/kube/client.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const envFile = path.join(root, '.testenv', 'env');

function loadEnv(text: string): void {
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) process.env[line.slice(0, eq)] = line.slice(eq + 1);
  }
}

/** Redis's own minimum for BullMQ without warnings (RedisConnection.recommendedMinimumVersion). */
const minRedis = [6, 2, 0];
/** The API server test/kube builds (v1.36.3); tests rely on its fields and defaults. */
const minKubeMinor = 36;

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err)).trim();

/** Fails with `what` after `ms`, so a hung part reads as itself and not as a setup timeout. */
async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const olderThan = (version: string, min: number[]) => {
  const parts = version.split('.').map(Number);
  for (let i = 0; i < min.length; i++) if ((parts[i] ?? 0) !== min[i]) return (parts[i] ?? 0) < min[i]!;
  return false;
};

/** Redis answers, is recent enough for BullMQ, and keeps what is queued (as `startWorkers` insists). */
async function checkRedis(url: string | undefined): Promise<void> {
  if (!url) throw new Error(`REDIS_URL is not set in ${envFile}`);
  const shown = url.replace(/\/\/[^@/]*@/, '//***@');
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 5_000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  // a refused connection surfaces as an 'error' event; the command only says "Connection is closed"
  let cause: unknown;
  redis.on('error', (err) => (cause ??= err));
  let info: string;
  try {
    await within(10_000, 'connect', redis.connect());
    await redis.ping();
    info = `${await redis.info('server')}\n${await redis.info('memory')}`;
  } catch (err) {
    throw new Error(`Redis at ${shown} does not answer: ${messageOf(cause ?? err)}`);
  } finally {
    redis.disconnect();
  }
  const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
  const version = field('redis_version') ?? 'unknown';
  if (olderThan(version, minRedis)) throw new Error(`Redis at ${shown} is version ${version}; BullMQ needs ${minRedis.join('.')} or later`);
  const policy = field('maxmemory_policy');
  if (policy && policy !== 'noeviction') throw new Error(`Redis at ${shown} has maxmemory-policy ${policy}; workers refuse to start unless it is noeviction`);
}

/** The API server is ready, a real kube-apiserver of the expected version, with its system namespace. */
async function checkApiServer(kubeconfig: string | undefined): Promise<void> {
  if (!kubeconfig) throw new Error(`KUBECONFIG is not set in ${envFile}`);
  let client: KubeClient;
  try {
    client = KubeClient.fromConnection({ kubeconfig });
  } catch (err) {
    throw new Error(`the kubeconfig ${kubeconfig} cannot be read: ${messageOf(err)}`);
  }
  const server = client.serverUrl;
  try {
    await within(15_000, 'GET /readyz', client.request('GET', '/readyz'));
    const version = await within(15_000, 'GET /version', client.request<{ major: string; minor: string; gitVersion: string }>('GET', '/version'));
    if (version.major !== '1' || Number.parseInt(version.minor, 10) < minKubeMinor) {
      throw new Error(`it is ${version.gitVersion}; the tests need 1.${minKubeMinor} or later (test/kube builds it)`);
    }
    await within(15_000, 'GET namespace kube-system', client.request('GET', '/api/v1/namespaces/kube-system'));
  } catch (err) {
    throw new Error(`the API server at ${server} is not ready: ${messageOf(err)}`);
  } finally {
    client.close();
  }
}

/** A program the tests run answers `args` (its version, usually). */
async function checkProgram(name: string, file: string, args: string[]): Promise<void> {
  try {
    await run(file, args, { timeout: 20_000 });
  } catch (err) {
    throw new Error(`${name} (${file} ${args.join(' ')}) does not run: ${messageOf(err).split('\n')[0]}`);
  }
}

/** git, and its http-backend, which serves the tests' repositories (test/helpers/git.ts). */
async function checkGit(): Promise<void> {
  await checkProgram('git', 'git', ['--version']);
  const { stdout } = await run('git', ['--exec-path']);
  const backend = path.join(stdout.trim(), 'git-http-backend');
  await access(backend, constants.X_OK).catch((err: unknown) => {
    throw new Error(`git http-backend (${backend}) is missing, and the test git server needs it: ${messageOf(err)}`);
  });
}

/**
 * What every test file relies on, checked once: a broken part fails the run here with its
 * cause, not as a timeout in whichever test touches it first.
 */
export async function checkPreconditions(): Promise<void> {
  const checks = await Promise.allSettled([
    checkRedis(process.env.REDIS_URL),
    checkApiServer(process.env.KUBECONFIG),
    checkGit(),
    checkProgram('kubectl', process.env.KUBECTL ?? 'kubectl', ['version', '--client']),
    // redis-safety and the chaos suite start Redis servers of their own
    checkProgram('redis-server', 'redis-server', ['--version']),
  ]);
  const problems = checks.flatMap((c) => (c.status === 'rejected' ? [messageOf(c.reason)] : []));
  if (problems.length > 0) {
    throw new Error(`The test environment is not usable:\n- ${problems.join('\n- ')}\nIts logs are in ${path.dirname(envFile)}/*.log; \`scripts/testenv down && scripts/testenv up\` starts it afresh.`);
  }
}

/**
 * Uses a test environment that is already up (`scripts/testenv up`), or starts one for this
 * run and stops it afterwards, then checks that its parts answer. Test files read REDIS_URL,
 * KUBECONFIG and KUBECTL from the env.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const wasUp = existsSync(envFile);
  const testenv = path.join(root, 'scripts', 'testenv');
  const stop = async () => {
    if (!wasUp) await run(testenv, ['down'], { cwd: root });
  };
  await run(testenv, ['up'], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
  loadEnv(readFileSync(envFile, 'utf8'));
  try {
    await checkPreconditions();
  } catch (err) {
    await stop();
    throw err;
  }
  return stop;
}
