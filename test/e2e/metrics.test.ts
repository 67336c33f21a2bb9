import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DriftlessHarness } from '../helpers/driftless.js';
import { createNamespace, testKube, uniqueName } from '../helpers/kube.js';
import { startDriftless, warmUp } from '../helpers/process.js';

const root = path.resolve(import.meta.dirname, '../..');
const { client } = testKube();

/** `name{labels} value` lines of a Prometheus text exposition, comments left out. */
const samples = (text: string) => text.split('\n').filter((l) => l && !l.startsWith('#'));

describe('/metrics of a running driftless process', () => {
  let h: DriftlessHarness;
  let namespace: string;
  let child: ChildProcess | undefined;
  let output: string[] = [];
  beforeAll(async () => {
    namespace = uniqueName('metrics');
    await createNamespace(client, namespace);
    h = await DriftlessHarness.start({ namespace, inProcess: false });
  });
  afterAll(async () => {
    if (process.env.SHOW_CHILD_LOGS) console.log(output.join(''));
    child?.kill('SIGKILL');
    await h?.close();
    client.close();
  });

  it('serves the standard process metrics unprefixed, build info, and per-target sync, duration, info and queue series', async () => {
    const configFile = path.join(await mkdtemp(path.join(os.tmpdir(), 'metrics-')), 'driftless.yaml');
    await writeFile(configFile, h.configYaml);
    const started = await startDriftless(configFile);
    ({ child, output } = started);
    await warmUp(started.port, h.secret);

    const { sha, res } = await h.commitAndPush('app', { 'deploy/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {mode: fast}\n' }, { url: `http://127.0.0.1:${started.port}` });
    expect(res.status).toBe(202);
    await expect.poll(() => h.statuses(sha).find((s) => s.state !== 'pending')?.state, { timeout: 60_000 }).toBe('success');

    const scrape = await fetch(`http://127.0.0.1:${started.port}/metrics`);
    expect(scrape.headers.get('content-type')).toContain('text/plain');
    const text = await scrape.text();
    const lines = samples(text);
    const { version } = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { version: string };

    // Node's defaults under the names stock dashboards query, and never under the old prefix
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_start_time_seconds', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds']) {
      expect(lines.some((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`)), name).toBe(true);
    }
    expect(text).not.toMatch(/^driftless_(process|nodejs)_/m);

    expect(lines).toContain(`driftless_build_info{version="${version}",node_version="${process.version}"} 1`);
    expect(lines).toContain(`driftless_sync_total{target="${namespace}",result="succeeded"} 1`);
    expect(lines).toContain(`driftless_sync_duration_seconds_count{target="${namespace}",result="succeeded"} 1`);
    const sum = Number(lines.find((l) => l.startsWith(`driftless_sync_duration_seconds_sum{target="${namespace}",result="succeeded"}`))?.split(' ')[1]);
    expect(sum).toBeGreaterThan(0);
    expect(sum).toBeLessThan(60);
    expect(lines).toContain(`driftless_target_info{target="${namespace}",revision="${sha}",health="Healthy"} 1`);
    expect(lines).toContain('driftless_queue_oldest_job_age_seconds{queue="sync"} 0');
    expect(lines.some((l) => l.startsWith('driftless_queue_depth{queue="sync",state="waiting"} '))).toBe(true);
    // the series that were there before keep their names
    for (const name of ['driftless_webhook_deliveries_total', 'driftless_jobs_total', 'driftless_sync_stage_duration_seconds_bucket', 'driftless_last_successful_sync_timestamp_seconds']) {
      expect(lines.some((l) => l.startsWith(`${name}{`)), name).toBe(true);
    }
  });
});
