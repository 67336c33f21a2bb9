import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DriftlessError, ManifestError } from '../../errors.js';
import type { RenderRequest, Rendered } from './build.js';
import { deserializeError } from './protocol.js';
import type { RenderReply } from './protocol.js';

/**
 * Render threads. Every render runs in a worker thread whose heap is capped at the target's
 * `maxMemoryMb`, so that parsing hostile YAML can neither block the event loop (webhooks, health,
 * locks, shutdown) nor take the process's memory. A render over its time is ended with its
 * thread; one over its memory ends its thread itself. Threads are kept idle for a while and
 * reused, keyed by their memory cap (a thread's limits are fixed when it starts), because starting
 * one costs more than a small render.
 */

/** After the deadline, how long the thread has to report kustomize's own timeout before it is ended. */
const GRACE_MS = 2_000;
/** An idle thread still holds its heap: end it after this long. */
const IDLE_MS = 30_000;
/** Idle threads kept per memory cap. */
const MAX_IDLE = 2;

interface IdleThread {
  worker: Worker;
  timer: NodeJS.Timeout;
}

const idle = new Map<number, IdleThread[]>();

/**
 * The thread's entry: the compiled worker.js, or, when Driftless runs from its TypeScript sources
 * (tests, `node --import tsx src/cli.ts`), worker.ts loaded through tsx, whose loader a worker
 * thread does not inherit.
 */
function workerEntry(): { script: string | URL; eval: boolean } {
  const entry = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);
  if (entry.pathname.endsWith('.js')) return { script: entry, eval: false };
  // the ESM build of tsx's API, as its exports name it (its CommonJS build cannot register)
  const require = createRequire(import.meta.url);
  const tsxPackage = require('tsx/package.json') as { exports: Record<string, { import: { default: string } }> };
  const tsx = new URL(tsxPackage.exports['./esm/api']!.import.default, pathToFileURL(require.resolve('tsx/package.json'))).href;
  return { script: `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`, eval: true };
}

function startThread(memoryMb: number): Worker {
  const { script, eval: isEval } = workerEntry();
  const worker = new Worker(script, { eval: isEval, resourceLimits: { maxOldGenerationSizeMb: memoryMb } });
  // an idle thread that fails leaves the pool; a busy one's failure is the render's (see run)
  worker.on('error', () => undefined);
  worker.once('exit', () => forget(worker, memoryMb));
  return worker;
}

function forget(worker: Worker, memoryMb: number): void {
  const list = idle.get(memoryMb) ?? [];
  const index = list.findIndex((t) => t.worker === worker);
  if (index === -1) return;
  clearTimeout(list[index]!.timer);
  list.splice(index, 1);
}

function take(memoryMb: number): Worker {
  const thread = idle.get(memoryMb)?.pop();
  if (!thread) return startThread(memoryMb);
  clearTimeout(thread.timer);
  thread.worker.ref();
  return thread.worker;
}

function release(worker: Worker, memoryMb: number): void {
  const list = idle.get(memoryMb) ?? [];
  if (list.length >= MAX_IDLE) {
    void worker.terminate();
    return;
  }
  // idle threads never keep the process alive
  worker.unref();
  const timer = setTimeout(() => void worker.terminate(), IDLE_MS).unref();
  list.push({ worker, timer });
  idle.set(memoryMb, list);
}

function limitProblem(source: string, message: string): ManifestError {
  return new ManifestError('render', [{ subject: source, file: source, message }]);
}

/**
 * Runs one render in a render thread. Resolves with its objects or rejects with what the render
 * threw (ManifestError for anything wrong in the commit). Past `limits.timeout` (plus a short grace
 * for kustomize's own timeout to be reported) or `limits.maxMemoryMb`, the thread is ended and the
 * render fails with a permanent ManifestError naming the file it was reading and the limit.
 */
export function renderInThread(request: Omit<RenderRequest, 'deadline'>): Promise<Rendered> {
  const { limits } = request;
  const memoryMb = limits.maxMemoryMb;
  const worker = take(memoryMb);
  let reading = request.path;
  const read = new Set<string>();

  return new Promise<Rendered>((resolve, reject) => {
    const settle = (outcome: () => void) => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      outcome();
    };
    const onMessage = (reply: RenderReply) => {
      if (reply.type === 'file') {
        reading = reply.file;
        read.add(reply.file);
        return;
      }
      settle(() => {
        release(worker, memoryMb);
        if (reply.type === 'done') resolve({ manifests: reply.manifests, read: [...read].sort() });
        else reject(deserializeError(reply.error));
      });
    };
    const onError = (err: Error & { code?: string }) =>
      settle(() => {
        void worker.terminate();
        reject(
          err.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? limitProblem(reading, `the render needed more than renderLimits.maxMemoryMb (${memoryMb} MiB) of memory`)
            : new DriftlessError(`render thread failed: ${err.message}`, { cause: err }),
        );
      });
    const onExit = (code: number) => settle(() => reject(new DriftlessError(`render thread exited with code ${code}`)));
    const timer = setTimeout(
      () =>
        settle(() => {
          void worker.terminate();
          reject(limitProblem(reading, `the render took longer than ${limits.timeout / 1000} s (renderLimits.timeout)`));
        }),
      limits.timeout + GRACE_MS,
    );
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    worker.postMessage({ ...request, deadline: Date.now() + limits.timeout } satisfies RenderRequest);
  });
}
