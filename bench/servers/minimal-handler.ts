// Baseline: the least a correct receiver does. node:http, the raw body, HMAC-SHA256 compared
// with timingSafeEqual, the payload parsed for its commit, one BullMQ `queue.add` with the
// delivery id as job id (BullMQ's own dedup), then 202. Same Redis options as Driftless's web.
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';

const secret = process.env.BENCH_SECRET ?? '';
const connection = new Redis(process.env.REDIS_URL ?? '', { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 1_000, connectTimeout: 1_000 });
const queue = new Queue('sync', { connection, prefix: process.env.BENCH_PREFIX ?? 'bench-min' });

function answer(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const signature = Buffer.from(String(req.headers['x-hub-signature-256'] ?? ''));
    const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) return answer(res, 401, '{"error":"signature"}');
    const deliveryId = String(req.headers['x-github-delivery'] ?? '');
    let after: string;
    try {
      after = (JSON.parse(body.toString('utf8')) as { after: string }).after;
    } catch {
      return answer(res, 400, '{"error":"json"}');
    }
    queue.add('sync', { deliveryId, after }, { jobId: deliveryId }).then(
      () => answer(res, 202, '{"result":"queued"}'),
      () => answer(res, 503, '{"error":"redis"}'),
    );
  });
});

connection.once('ready', () => {
  server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
    console.log(JSON.stringify({ msg: 'listening', port: (server.address() as AddressInfo).port }));
  });
});
process.once('SIGTERM', () => {
  server.close(() => {
    void queue.close().then(() => connection.quit()).finally(() => process.exit(0));
  });
  server.closeAllConnections();
});
