import { spawn } from 'node:child_process';

/** Options for one bounded run of a program. */
export interface ChildOptions {
  /** Working directory; the caller's when absent. */
  cwd?: string;
  /** The child's whole environment: nothing of this process's is passed on unless it is here. */
  env: NodeJS.ProcessEnv;
  /** The process and everything it started are killed after this long, in milliseconds. */
  timeoutMs: number;
  /** ... and as soon as its standard output grows past this many bytes. */
  maxOutputBytes: number;
}

/** How a bounded run ended; standard error is kept up to 64 KiB for messages. */
export type ChildResult =
  | { outcome: 'exited'; code: number; stdout: string; stderr: string }
  | { outcome: 'timeout' | 'output-limit'; stderr: string }
  | { outcome: 'not-started'; error: NodeJS.ErrnoException };

const MAX_STDERR_BYTES = 64 * 1024;

/**
 * Runs `file args` (no shell) in its own process group, so that a timeout or an output over the
 * limit kills it with SIGKILL together with whatever it spawned (git's remote helpers,
 * kustomize's git), not just the process we started. Never rejects: every ending is a result.
 */
export function runChild(file: string, args: readonly string[], options: ChildOptions): Promise<ChildResult> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    let stopped: 'timeout' | 'output-limit' | undefined;

    const stop = (why: 'timeout' | 'output-limit') => {
      stopped ??= why;
      try {
        // the whole group: the program and whatever it started
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
