import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const root = path.resolve(import.meta.dirname, '../..');

/** The test environment every suite shares (`--shared-env`). */
export const sharedDir = path.join(root, '.testenv');

/** What `scripts/testenv up` wrote: the real Redis and API server every row runs against. */
export interface TestEnv {
  redisUrl: string;
  kubeconfig: string;
  kubectl: string;
  /** kube-controller-manager, kube-scheduler and kwok run: Deployments roll out and become healthy. */
  controllers: boolean;
  /** Where the environment lives (.testenv or the bench's own). */
  dir: string;
  /** Stops the environment when the bench started it. */
  stop(): void;
  /**
   * Restarts kube-controller-manager (and the other controllers) with a client limit of `qps`
   * requests/s to the API server (burst twice that); undefined: Kubernetes' default, 20 (burst 30).
   */
  restartControllers(qps?: number): void;
}

function readEnv(dir: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of readFileSync(path.join(dir, 'env'), 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) vars[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return vars;
}

/**
 * The test environment of scripts/testenv. By default the bench starts its own instance
 * (DRIFTLESS_TESTENV_DIR=bench/.out/<run>/testenv) with the controllers, so other suites running on
 * the shared .testenv neither add objects nor requests to what /metrics reports, and Driftless's
 * health wait sees Deployments roll out; it is stopped at the end. `shared` uses .testenv.
 */
export function startTestEnv(mode: 'private' | 'shared', privateDir: string): TestEnv {
  const testenv = path.join(root, 'scripts', 'testenv');
  // one environment per run: two benches at once must not stop each other's
  const dir = mode === 'shared' ? sharedDir : privateDir;
  const env = { ...process.env, DRIFTLESS_TESTENV_DIR: dir };
  const up = (args: string[]) => execFileSync(testenv, ['up', ...args], { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
  if (mode === 'private' || !existsSync(path.join(dir, 'env'))) {
    try {
      up(['--with-controllers']);
    } catch {
      process.stderr.write('bench: scripts/testenv up --with-controllers failed; starting without controllers (Deployments will not become healthy)\n');
      up([]);
    }
  }
  const vars = readEnv(dir);
  const { REDIS_URL: redisUrl, KUBECONFIG: kubeconfig, KUBECTL: kubectl } = vars;
  if (!redisUrl || !kubeconfig || !kubectl) throw new Error(`${dir}/env lacks REDIS_URL, KUBECONFIG or KUBECTL`);
  Object.assign(process.env, { REDIS_URL: redisUrl, KUBECONFIG: kubeconfig, KUBECTL: kubectl });
  return {
    redisUrl,
    kubeconfig,
    kubectl,
    controllers: vars.CONTROLLERS === '1',
    dir,
    restartControllers: (qps) => {
      const run = (args: string[]) =>
        execFileSync(testenv, args, { cwd: root, env: { ...env, DRIFTLESS_CONTROLLER_API_QPS: qps === undefined ? '' : String(qps) }, stdio: ['ignore', 'ignore', 'pipe'] });
      run(['down', '--controllers']);
      run(['up', '--with-controllers']);
    },
    stop: () => {
      if (mode !== 'private') return;
      execFileSync(testenv, ['down'], { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] });
      rmSync(path.join(dir, 'etcd-data'), { recursive: true, force: true });
    },
  };
}

/** The machine line of RESULTS.md. */
export interface Machine {
  cores: number;
  cpu: string;
  memoryGb: number;
  node: string;
  kubernetes: string;
  redis: string;
  kernel: string;
}

export function machine(kubernetes: string, redis: string): Machine {
  return {
    cores: os.availableParallelism(),
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    memoryGb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    kubernetes,
    redis,
    kernel: os.release(),
  };
}

/** `uptime`'s load averages, to say how busy the machine was while we measured. */
export function loadAverage(): string {
  return os.loadavg().map((l) => l.toFixed(2)).join(', ');
}

/**
 * The command that runs Driftless: the build (`npm run build`, as `make bench` does first) so
 * that RSS is the product's and not a TypeScript loader's; tsx on the sources otherwise.
 */
export function driftlessCommand(buildRoot?: string): { args: string[]; built: boolean } {
  // DRIFTLESS_ROOT benches another build (a branch checkout, a prototype) with this harness
  const cli = path.join(buildRoot ?? process.env.DRIFTLESS_ROOT ?? root, 'dist', 'cli.js');
  if (existsSync(cli)) return { args: [cli], built: true };
  process.stderr.write('bench: dist/cli.js missing (run `npm run build`); running src/cli.ts through tsx, RSS includes the loader\n');
  return { args: ['--import', 'tsx', path.join(root, 'src', 'cli.ts')], built: false };
}

/** The environment's own processes (by the pid files scripts/testenv keeps), for their CPU time. */
export function environmentPids(env: TestEnv): Record<string, number> {
  const pids: Record<string, number> = {};
  for (const name of ['apiserver', 'etcd', 'controller-manager', 'scheduler', 'kwok', 'redis']) {
    const file = path.join(env.dir, 'state', `${name}.pid`);
    if (existsSync(file)) pids[name] = Number(readFileSync(file, 'utf8').trim());
  }
  return pids;
}
