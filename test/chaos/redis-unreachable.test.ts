import { afterAll, expect, it } from 'vitest';
import { cm } from '../helpers/manifests.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { recordResult, startChaosTarget, terminalStatuses, type ChaosTarget } from './lib.js';

// Redis cut off (blackholed) for 10 s while webhooks arrive: the web answers 503 within about a
// second, so the sender redelivers; nothing is half-queued; the redelivery deploys.

let target: ChaosTarget | undefined;
let proxy: TcpProxy | undefined;
afterAll(async () => {
  await target?.close();
  await proxy?.close();
});

it('answers 503 fast while Redis is unreachable, and the redelivery deploys', async () => {
  const redis = new URL(process.env.REDIS_URL!);
  proxy = await TcpProxy.start({ host: redis.hostname, port: Number(redis.port) });
  target = await startChaosTarget('redis-cut', { endpoints: { redisUrl: `redis://${proxy.address}` } });
  const { h, namespace } = target;
  const first = await target.push('one', { 'deploy/app.yaml': cm('app', '1') });
  // before the fault, as GitHub would: a 503 is redelivered (once, in a fresh-clone CI run, the
  // first delivery was answered 503 with Redis reachable; its cause is printed if it happens again)
  for (let attempt = 1; first.status === 503 && attempt < 5; attempt++) {
    console.warn(`redis-unreachable: delivery before the fault answered 503; Driftless said:\n${target.logs().split('\n').filter((l) => /could not be queued|error/i.test(l)).join('\n')}`);
    await new Promise((r) => setTimeout(r, 1_000));
    first.status = await target.deliver(first.body, first.deliveryId);
  }
  expect(first.status).toBe(202);
  await expect.poll(() => terminalStatuses(h, first.sha, namespace)[0]?.state, { timeout: 30_000 }).toBe('success');

  proxy.setMode({ kind: 'blackhole' });
  const cutAt = Date.now();
  const answers: { status: number; ms: number }[] = [];
  let second: Awaited<ReturnType<ChaosTarget['push']>> | undefined;
  while (Date.now() - cutAt < 10_000) {
    const sent = Date.now();
    second ??= await target.push('two', { 'deploy/app.yaml': cm('app', '2') });
    const status = answers.length === 0 ? second.status : await target.deliver(second.body, second.deliveryId);
    answers.push({ status, ms: Date.now() - sent });
  }
  proxy.setMode({ kind: 'pass' });
  const healedAt = Date.now();
  expect(answers.length).toBeGreaterThan(3);
  expect(answers.map((a) => a.status)).toEqual(answers.map(() => 503));
  // GitHub gives up on a delivery after 10 s: every answer came well before
  expect(Math.max(...answers.map((a) => a.ms))).toBeLessThan(3_000);

  // the sender redelivers (same delivery id); it is accepted once Redis answers again
  await expect.poll(() => target!.deliver(second!.body, second!.deliveryId), { timeout: 30_000, interval: 500 }).toBe(202);
  await expect.poll(() => terminalStatuses(h, second!.sha, namespace).map((s) => s.state), { timeout: 60_000 }).toEqual(['success']);
  const convergeMs = Date.now() - healedAt;
  expect((await h.history(namespace)).filter((e) => e.revision === second!.sha).map((e) => e.result)).toEqual(['succeeded']);
  // a last redelivery is a duplicate: nothing was half-queued or queued twice
  expect(await target.deliver(second!.body, second!.deliveryId)).toBe(200);
  recordResult({ case: 'redis-unreachable', fault: 'Redis blackholed for 10 s while webhooks arrive', asserted: `every answer 503 in < 3 s (max ${Math.max(...answers.map((a) => a.ms))} ms); redelivery 202 then duplicate; one deploy`, convergeMs });
});
