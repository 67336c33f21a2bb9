import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { sleep } from './stats.js';

/** A process the bench started; `stop()` ends it by its pid, gracefully first. */
export interface Child {
  readonly name: string;
  readonly pid: number;
  readonly proc: ChildProcess;
  /** stdout and stderr of the process go here. */
  readonly logFile: string;
  readonly exited: Promise<number | null>;
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  logFile: string;
}

/** Starts a process with its output in a file (a pipe the bench must drain would cost the bench CPU). */
export function spawnLogged(name: string, command: string, args: readonly string[], options: SpawnOptions): Child {
  const fd = openSync(options.logFile, 'a');
  const proc = spawn(command, [...args], { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  if (proc.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  const pid = proc.pid;
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  let stopping: Promise<void> | undefined;
  return {
    name,
    pid,
    proc,
    logFile: options.logFile,
    exited,
    stop: (graceMs = 15_000) =>
      (stopping ??= (async () => {
        if (proc.exitCode !== null || proc.signalCode !== null) return;
        proc.kill('SIGTERM');
        const done = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
        if (!done) {
          process.stderr.write(`bench: ${name} (pid ${pid}) did not stop within ${graceMs} ms; killing it\n`);
          proc.kill('SIGKILL');
          await exited;
        }
      })()),
  };
}

/** Waits for a line matching `pattern` in the child's log; fails early if the child exits. */
export async function waitForLog(child: Child, pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void child.exited.then(() => (exited = true));
  for (;;) {
    const text = readFileSync(child.logFile, 'utf8');
    const m = pattern.exec(text);
    if (m) return m;
    if (exited) throw new Error(`${child.name} exited before it was ready; last output:\n${text.split('\n').slice(-15).join('\n')}`);
    if (Date.now() > deadline) throw new Error(`${child.name} was not ready within ${timeoutMs} ms; see ${child.logFile}`);
    await sleep(50);
  }
}

/** Resident and peak resident memory of a process, in kB, from /proc/<pid>/status. */
export function memoryOf(pid: number): { rssKb: number; hwmKb: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { rssKb: field('VmRSS'), hwmKb: field('VmHWM') };
  } catch {
    return undefined;
  }
}

/** Resets a process's peak RSS (VmHWM) to its current RSS, so a later read is the peak of one phase. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * Samples VmHWM of processes every `intervalMs` and keeps the highest seen per process, which
 * survives the process exiting (kubectl) between samples.
 */
export class PeakSampler {
  private readonly peaks = new Map<string, number>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly targets: () => { name: string; pid: number }[],
    private readonly intervalMs = 50,
  ) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  sample(): void {
    for (const { name, pid } of this.targets()) {
      const m = memoryOf(pid);
      if (!m) continue;
      const v = Math.max(Number.isFinite(m.hwmKb) ? m.hwmKb : 0, Number.isFinite(m.rssKb) ? m.rssKb : 0);
      this.peaks.set(name, Math.max(this.peaks.get(name) ?? 0, v));
    }
  }

  stop(): Map<string, number> {
    this.sample();
    clearInterval(this.timer);
    return this.peaks;
  }
}

/** Runs a command to completion, capturing output; rejects on a non-zero exit. */
export function run(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; onSpawn?: (pid: number) => void; /** exit codes that count as success (`kubectl diff` exits 1 when it finds a difference) */ okExit?: readonly number[] } = {},
): Promise<{ stdout: string; stderr: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const proc = spawn(command, [...args], { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    if (proc.pid !== undefined) options.onSpawn?.(proc.pid);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    proc.stdout.on('data', (c: Buffer) => out.push(c));
    proc.stderr.on('data', (c: Buffer) => err.push(c));
    proc.once('error', reject);
    proc.once('close', (code) => {
      const ms = performance.now() - started;
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if ((options.okExit ?? [0]).includes(code ?? -1)) resolve({ stdout, stderr, ms });
      else reject(new Error(`${command} ${args.join(' ')} exited with ${code}: ${stderr.trim().split('\n').slice(-5).join('\n')}`));
    });
  });
}

/** CPU time (user + system) a process has used so far, ms; from /proc/<pid>/stat. */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the command (which may contain spaces) start after the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds each named process used between `start()` and `stop()`, and the wall time. */
export function cpuWindow(pids: Record<string, number>): { stop(): { wallS: number; cpuS: Record<string, number> } } {
  const before = Object.fromEntries(Object.entries(pids).map(([n, pid]) => [n, cpuMs(pid)]));
  const t0 = performance.now();
  return {
    stop: () => ({
      wallS: (performance.now() - t0) / 1000,
      cpuS: Object.fromEntries(Object.entries(pids).map(([n, pid]) => [n, Math.round((cpuMs(pid) - before[n]!) / 10) / 100])),
    }),
  };
}
