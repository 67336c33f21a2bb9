import { randomBytes } from 'node:crypto';
import { createServer, get, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import express from 'express';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { queueNames, type ReportJobData, type StatusJobData, type SyncJobData } from '../../src/queue/jobs.js';
import { LiveUpdates } from '../../src/ui/live.js';

// LiveUpdates against a real Redis and real BullMQ queues: it reads the queues' events only while
// a browser listens, so the web does no per-delivery work for a dashboard nobody watches.
const redis = new Redis(process.env.REDIS_URL!);
const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await redis.quit();
});

function setup() {
  const prefix = `live-${randomBytes(4).toString('hex')}`;
  const sync = new Queue<SyncJobData>(queueNames.sync, { connection: redis, prefix });
  const report = new Queue<ReportJobData>(queueNames.report, { connection: redis, prefix });
  let connections = 0;
  const live: LiveUpdates = new LiveUpdates({
    connect: () => {
      connections++;
      return redis.duplicate({ maxRetriesPerRequest: null });
    },
    prefix,
    sync,
    report,
    render: (target): Promise<Record<string, string>> => Promise.resolve({ [`summary-${target}`]: `<p>${live.stage(target)?.description ?? 'none'}</p>` }),
    log: createLogger({ level: 'silent' }),
  });
  const app = express();
  app.get('/events', (_req, res) => live.listen(res, new Set(['web'])));
  const server: Server = createServer(app);
  closers.push(() => sync.close(), () => report.close(), () => live.close(), () => new Promise((resolve) => server.close(resolve)));
  return { report, live, server, connections: () => connections };
}

/** Opens the event stream and resolves with it once the server answered. */
async function listen(server: Server): Promise<IncomingMessage> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve) => get(`http://127.0.0.1:${port}/events`, resolve));
}

/** Reads the stream until `text` arrives. */
function received(stream: IncomingMessage, text: string): Promise<string> {
  let all = '';
  return new Promise((resolve) => {
    stream.on('data', (chunk: Buffer) => {
      all += chunk.toString();
      if (all.includes(text)) resolve(all);
    });
  });
}

describe('LiveUpdates', () => {
  it('opens no Redis connection until a browser listens, then sends a status posted after that', async () => {
    const { report, server, connections } = setup();
    expect(connections()).toBe(0);
    const stream = await listen(server);
    expect(connections()).toBe(2);
    const status: StatusJobData = { target: 'web', repo: 'acme/web', sha: 'a'.repeat(40), context: 'driftless/web', state: 'pending', description: 'applying', rank: 2, deliveryId: 'd1' };
    const arrived = received(stream, 'applying');
    await report.add('status', status);
    expect(await arrived).toContain('event: summary-web\ndata: <p>applying</p>');
    stream.destroy();
  });
});
