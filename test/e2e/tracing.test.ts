import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DriftlessHarness } from '../helpers/driftless.js';
import { createNamespace, testKube, uniqueName } from '../helpers/kube.js';
import { OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver.js';
import { startDriftless, warmUp, type DriftlessProcess } from '../helpers/process.js';

const { client } = testKube();
const kind = { server: 2, producer: 4, consumer: 5 };

/** The span and its ancestors, nearest first, within the spans received. */
function ancestry(span: ReceivedSpan, spans: readonly ReceivedSpan[]): ReceivedSpan[] {
  const chain = [span];
  for (let s = span; s.parentSpanId; ) {
    const parent = spans.find((p) => p.spanId === s.parentSpanId);
    if (!parent) break;
    chain.push(parent);
    s = parent;
  }
  return chain;
}

describe('OpenTelemetry tracing, with the web and the worker as separate processes', () => {
  let h: DriftlessHarness;
  let namespace: string;
  let otlp: OtlpReceiver;
  const processes: DriftlessProcess[] = [];
  beforeAll(async () => {
    namespace = uniqueName('tracing');
    await createNamespace(client, namespace);
    h = await DriftlessHarness.start({ namespace, inProcess: false });
    otlp = await OtlpReceiver.start();
  });
  afterAll(async () => {
    if (process.env.SHOW_CHILD_LOGS) for (const p of processes) console.log(p.output.join(''));
    for (const p of processes) p.child.kill('SIGKILL');
    await h?.close();
    await otlp?.close();
    client.close();
  });

  it('follows one push from the webhook through the queue to every sync stage and the status reports, in one trace', async () => {
    const configFile = path.join(await mkdtemp(path.join(os.tmpdir(), 'tracing-')), 'driftless.yaml');
    await writeFile(configFile, h.configYaml);
    // the batch processor's delay (ms) shortened so spans arrive while the test waits
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint, OTEL_BSP_SCHEDULE_DELAY: '100' };
    const worker = await startDriftless(configFile, { command: 'worker', env: { ...env, OTEL_SERVICE_NAME: 'test-worker' } });
    processes.push(worker);
    const web = await startDriftless(configFile, { command: 'serve', env: { ...env, OTEL_SERVICE_NAME: 'test-web' } });
    processes.push(web);
    await warmUp(web.port, h.secret);

    const { sha, res } = await h.commitAndPush('app', { 'deploy/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: traced}\ndata: {mode: fast}\n' }, { url: `http://127.0.0.1:${web.port}` });
    expect(res.status).toBe(202);
    await expect.poll(() => h.statuses(sha).find((s) => s.state !== 'pending')?.state, { timeout: 60_000 }).toBe('success');

    const stages = ['fetch', 'render', 'plan', 'apply', 'prune', 'wait'];
    // the push's trace: rooted at the web's span for this delivery
    const webhookSpan = () => otlp.spans().find((s) => s.service === 'test-web' && s.kind === kind.server && s.name === 'webhook github push' && s.attributes['driftless.commit'] === sha);
    await expect.poll(() => webhookSpan(), { timeout: 15_000 }).toBeDefined();
    const root = webhookSpan()!;
    expect(root.parentSpanId).toBeUndefined();
    expect(root.attributes['driftless.delivery_id']).toEqual(expect.any(String));
    const inTrace = () => otlp.spans().filter((s) => s.traceId === root.traceId);
    await expect
      .poll(() => stages.filter((stage) => inTrace().some((s) => s.name === `sync ${stage}`)), { timeout: 15_000 })
      .toEqual(stages);
    // the success status is posted by a report job of the same trace; the sync job's own span
    // ends (and is exported) only once the whole job has, which can be after those reports
    await expect
      .poll(() => inTrace().some((s) => s.service === 'test-worker' && s.kind === kind.consumer && s.name === 'process report' && s.attributes['driftless.commit'] === sha), { timeout: 15_000 })
      .toBe(true);
    await expect.poll(() => inTrace().some((s) => s.service === 'test-worker' && s.kind === kind.consumer && s.name === 'process sync'), { timeout: 15_000 }).toBe(true);

    const spans = inTrace();
    // the web enqueued the sync (a producer span under the webhook), and the worker's job span
    // continues from it: context crossed processes through the job in Redis
    const syncJob = spans.find((s) => s.service === 'test-worker' && s.kind === kind.consumer && s.name === 'process sync');
    expect(syncJob?.attributes).toMatchObject({ 'driftless.target': namespace, 'driftless.delivery_id': root.attributes['driftless.delivery_id'] });
    const chain = ancestry(syncJob!, spans);
    expect(chain.map((s) => [s.service, s.kind])).toContainEqual(['test-web', kind.producer]);
    expect(chain.at(-1)).toEqual(root);
    for (const stage of stages) {
      const span = spans.find((s) => s.name === `sync ${stage}`)!;
      expect(span.service).toBe('test-worker');
      expect(span.statusCode).not.toBe(2);
      expect(ancestry(span, spans)).toContainEqual(syncJob);
    }
    // every report job of this push (queued, the stages, success) hangs off the same root
    const reports = spans.filter((s) => s.name === 'process report');
    expect(reports.length).toBeGreaterThanOrEqual(2);
    for (const report of reports) expect(ancestry(report, spans).at(-1)).toEqual(root);
  });
});
