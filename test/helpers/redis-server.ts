import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';

/**
 * Starts a Redis program (`redis-server`, `redis-sentinel`: Debian's, see scripts/debian-tools)
 * listening on `port` and resolves once it answers PING; throws after 5 s. The caller kills it.
 */
export async function startRedisProgram(file: string, args: string[], port: number): Promise<ChildProcess> {
  const child = spawn(file, args, { stdio: 'ignore' });
  const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    for (let i = 0; i < 100; i++) {
      if (await probe.connect().then(() => probe.ping(), () => undefined)) return child;
      probe.disconnect();
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    probe.disconnect();
  }
  child.kill('SIGKILL');
  throw new Error(`${file} on port ${port} did not start`);
}
