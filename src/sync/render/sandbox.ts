import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * Where every proxy variable points: a closed port on the loopback interface. Go's and git's HTTP
 * clients honour it, so a request to any non-loopback host (cloud metadata, the internal
 * network, the internet) fails at once. Loopback addresses bypass proxies in Go; the input check
 * (kustomize-inputs.ts) is what keeps a repository from naming any URL at all.
 */
const NOWHERE = 'http://127.0.0.1:9';

/**
 * The whole environment of a renderer: nothing of the worker's (no tokens, no kubeconfig, no
 * cloud credentials), an empty HOME, every proxy pointing nowhere, and git with no protocol
 * allowed (GIT_ALLOW_PROTOCOL is an allowlist; empty allows none) and no user or system config.
 */
export function sandboxEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    GIT_ALLOW_PROTOCOL: '',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: os.devNull,
    GIT_TERMINAL_PROMPT: '0',
    NO_PROXY: '',
    no_proxy: '',
  };
  for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY']) {
    env[name] = NOWHERE;
    env[name.toLowerCase()] = NOWHERE;
  }
  // to find the renderer's own helpers; the binary itself is named by the config
  if (process.env.PATH !== undefined) env.PATH = process.env.PATH;
  return env;
}

/** Options for one sandboxed run. */
export interface SandboxOptions {
  /** Working directory: the checkout. */
  cwd: string;
  /** The process and everything it started are killed after this long, in milliseconds. */
  timeoutMs: number;
  /** ... and as soon as its standard output grows past this many bytes. */
  maxOutputBytes: number;
}

/** How a sandboxed run ended. */
export type SandboxResult =
  | { outcome: 'exited'; code: number; stdout: string; stderr: string }
  | { outcome: 'timeout' | 'output-limit'; stderr: string }
  | { outcome: 'not-started'; error: NodeJS.ErrnoException };

/** Standard error kept for messages; kubectl's reasons are short. */
const MAX_STDERR_BYTES = 64 * 1024;

/**
 * Runs `file args` with the sandbox environment (a fresh empty HOME, removed afterwards) in its
 * own process group, so a timeout or an output over the limit kills it and anything it spawned.
 */
export async function runSandboxed(file: string, args: readonly string[], options: SandboxOptions): Promise<SandboxResult> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'driftless-render-home-'));
  try {
    return await run(file, args, options, sandboxEnv(home));
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

function run(file: string, args: readonly string[], options: SandboxOptions, env: NodeJS.ProcessEnv): Promise<SandboxResult> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { cwd: options.cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    let stopped: 'timeout' | 'output-limit' | undefined;

    const stop = (why: 'timeout' | 'output-limit') => {
      stopped ??= why;
      try {
        // the whole group: kubectl and whatever it started
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => stop('timeout'), Math.max(options.timeoutMs, 0));

    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > options.maxOutputBytes) return stop('output-limit');
      stdout.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < MAX_STDERR_BYTES) stderr += chunk.toString('utf8');
    });
    child.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ outcome: 'not-started', error });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (stopped) resolve({ outcome: stopped, stderr });
      else resolve({ outcome: 'exited', code: code ?? -1, stdout: Buffer.concat(stdout).toString('utf8'), stderr });
    });
  });
}
