import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';

const projectRoot = path.resolve(import.meta.dirname, '../..');

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

/** A free TCP port on the loopback interface (closed again before it is returned). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** `driftless all` (or `serve`, or `worker`) running as its own process, as a pod runs it, and what it has logged. */
export interface DriftlessProcess {
  child: ChildProcess;
  port: number;
  /** Every chunk the process wrote to stdout and stderr. */
  output: string[];
  /** Resolves with the exit code (null after a signal) once the process has exited. */
  exited: Promise<number | null>;
}

/**
 * Starts `driftless <command> --config <file>` (through tsx, from the sources; `all` unless
 * `command` says otherwise) on `port` and waits until `/readyz` answers 200, for at most
 * `timeoutMs` (default 30 s).
 */
export async function startDriftless(configFile: string, options: { command?: 'all' | 'serve' | 'worker'; port?: number; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<DriftlessProcess> {
  const port = options.port ?? (await freePort());
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'src/cli.ts'), options.command ?? 'all', '--config', configFile], {
    cwd: projectRoot,
    env: { ...process.env, PORT: String(port), LOG_LEVEL: 'info', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout?.on('data', (c: Buffer) => output.push(c.toString()));
  child.stderr?.on('data', (c: Buffer) => output.push(c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`driftless exited with ${child.exitCode} before it was ready:\n${output.join('')}`);
    if (await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false)) return { child, port, output, exited };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`driftless did not become ready within ${options.timeoutMs ?? 30_000} ms:\n${output.join('')}`);
}

/**
 * Sends signed `ping` deliveries until one is answered 200. Run from the TypeScript sources, the
 * first delivery compiles the intake's modules, which can hold the event loop past the web's 1 s
 * Redis command timeout and get a 503; a test's first real delivery must not be that one.
 */
export async function warmUp(port: number, secret: string): Promise<void> {
  const body = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await fetch(`http://127.0.0.1:${port}/webhooks/github`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'ping', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` },
      body,
    }).catch(() => undefined);
    await res?.arrayBuffer();
    if (res?.status === 200) return;
    if (Date.now() > deadline) throw new Error(`driftless on port ${port} did not answer a ping with 200 within 30 s (last: ${res?.status ?? 'no answer'})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
