import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { startWorkers } from '../../src/services.js';
import { LogCapture } from '../helpers/driftless.js';

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

/** A real redis-server of its own, configured the way a test needs. */
async function redisServer(args: string[]): Promise<{ url: string; stop(): void }> {
  const port = await freePort();
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...args], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = createServer().listen(port, '127.0.0.1', () => socket.close(() => resolve(false))).on('error', () => resolve(true));
    });
    if (up) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url, stop: () => child.kill() };
}

const config = (url: string) =>
  parseConfig(`providers: { github: { webhookSecret: s } }\nclusters: { c: { kubeconfig: "${process.env.KUBECONFIG}" } }\ntargets: [{ name: t, repo: "github:acme/shop", cloneUrl: "http://127.0.0.1:1/x.git", cluster: c, namespace: shop }]\nredis: { url: "${url}" }\n`, 'redis.yaml', {});

describe('Redis safety checks at worker start-up', () => {
  const servers: { stop(): void }[] = [];
  afterAll(() => servers.forEach((s) => s.stop()));

  it('refuses a Redis that may evict keys, saying how to fix it', async () => {
    const redis = await redisServer(['--maxmemory-policy', 'allkeys-lru', '--appendonly', 'no']);
    servers.push(redis);
    await expect(startWorkers(config(redis.url), createLogger({ level: 'silent', destination: new LogCapture() }))).rejects.toThrow(
      /maxmemory-policy is allkeys-lru.*Set it to noeviction/,
    );
  });

  it('starts on noeviction and warns when persistence is off', async () => {
    const redis = await redisServer(['--maxmemory-policy', 'noeviction', '--appendonly', 'no']);
    servers.push(redis);
    const logs = new LogCapture();
    const workers = await startWorkers(config(redis.url), createLogger({ level: 'info', destination: logs }));
    await workers.close();
    expect(logs.text).toMatch(/Redis persistence is off/);
  });

  it('does not warn when AOF is on', async () => {
    const redis = await redisServer(['--maxmemory-policy', 'noeviction', '--appendonly', 'yes', '--dir', await mkdtemp(path.join(os.tmpdir(), 'redis-aof-'))]);
    servers.push(redis);
    const logs = new LogCapture();
    const workers = await startWorkers(config(redis.url), createLogger({ level: 'info', destination: logs }));
    await workers.close();
    expect(logs.text).not.toMatch(/persistence is off/);
  });
});
