import { spawn } from 'node:child_process';

/** What a finished child process left behind. */
export interface ProcessResult {
  /** Exit code, or -1 when the process was killed by a signal (e.g. the timeout). */
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Written to the child's stdin, which is then closed. */
  input?: string;
  cwd?: string;
  /** Merged over this process's environment. */
  env?: NodeJS.ProcessEnv;
  /** The child is killed with SIGKILL after this many milliseconds (default 120 s). */
  timeoutMs?: number;
}

/**
 * Runs a program to completion, feeding `input` on stdin; never throws for a non-zero exit.
 *
 * A child may exit (or close stdin) before it has read its input: writing then fails
 * asynchronously with EPIPE or ECONNRESET on the stdin stream. Without a listener that error is
 * unhandled and fails the whole test run; the child's exit code and output say what went wrong,
 * so the write error itself is dropped.
 */
export function runProcess(file: string, args: readonly string[], options: RunOptions = {}): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdin.on('error', () => undefined);
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}
