import type { ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DriftlessHarness } from '../helpers/driftless.js';
import { createNamespace, testKube, uniqueName } from '../helpers/kube.js';
import { freePort, runProcess, startDriftless } from '../helpers/process.js';

// The chart's `helm test` pod, its own program run here against a real `driftless all` (no
// kubelet runs pods in the test cluster): it passes against a healthy release and names what
// is down when a part is missing.
const root = path.resolve(import.meta.dirname, '../..');
const chart = path.join(root, 'helm', 'driftless');
const { client } = testKube();

type TestPod = {
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  spec: { restartPolicy: string; automountServiceAccountToken: boolean; containers: { command: string[]; args: string[]; env: { name: string; value: string }[]; securityContext: Record<string, unknown> }[] };
};

describe('helm test', () => {
  let h: DriftlessHarness;
  let child: ChildProcess | undefined;
  let output: string[] = [];
  let pod: TestPod;
  let port: number;
  beforeAll(async () => {
    const helm = await runProcess(path.join(root, 'scripts', 'helm'), ['--path'], { timeoutMs: 20 * 60_000 });
    expect(helm.code, helm.stderr).toBe(0);
    const rendered = await runProcess(helm.stdout.trim(), ['template', 'rel', chart, '--namespace', 'ops', '--values', path.join(chart, 'ci', 'minimal-values.yaml')], { env: { HELM_CACHE_HOME: os.tmpdir(), HELM_CONFIG_HOME: os.tmpdir() } });
    expect(rendered.code, rendered.stderr).toBe(0);
    pod = (yaml.loadAll(rendered.stdout) as TestPod[]).find((d) => d?.metadata.annotations?.['helm.sh/hook'] === 'test')!;

    const namespace = uniqueName('helmtest');
    await createNamespace(client, namespace);
    h = await DriftlessHarness.start({ namespace, inProcess: false });
    const configFile = path.join(await mkdtemp(path.join(os.tmpdir(), 'helm-test-')), 'driftless.yaml');
    await writeFile(configFile, h.configYaml);
    const started = await startDriftless(configFile);
    ({ child, output } = started);
    port = started.port;
  }, 20 * 60_000);
  afterAll(async () => {
    if (process.env.SHOW_CHILD_LOGS) console.log(output.join(''));
    child?.kill('SIGKILL');
    await h?.close();
    client.close();
  });

  /** Runs the pod's container command here with its environment, the URLs pointed at this machine. */
  const runPod = (env: Record<string, string>) => {
    const [container] = pod.spec.containers;
    const [node, ...flags] = container!.command;
    expect(node).toBe('node');
    const podEnv = Object.fromEntries(container!.env.map((e) => [e.name, e.value]));
    return runProcess(process.execPath, [...flags, ...container!.args], { env: { ...podEnv, ...env }, timeoutMs: 60_000 });
  };

  it('is a hook pod that runs once, mounts no token, as non-root, and is removed when it passes', () => {
    expect(pod.kind).toBe('Pod');
    expect(pod.metadata.annotations).toMatchObject({ 'helm.sh/hook': 'test', 'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded' });
    expect(pod.spec).toMatchObject({ restartPolicy: 'Never', automountServiceAccountToken: false });
    expect(pod.spec.containers[0]!.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
    const env = Object.fromEntries(pod.spec.containers[0]!.env.map((e) => [e.name, e.value]));
    expect(env).toMatchObject({ WEB_URL: 'http://rel-driftless.ops.svc:80', WORKER_URL: 'http://rel-driftless-worker.ops.svc:8080' });
  });

  it('passes against a running release', async () => {
    const res = await runPod({ WEB_URL: `http://127.0.0.1:${port}`, WORKER_URL: `http://127.0.0.1:${port}` });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout.trim().split('\n')).toEqual([
      `ok   web is up (http://127.0.0.1:${port}/healthz)`,
      `ok   web reaches Redis (http://127.0.0.1:${port}/readyz)`,
      `ok   web serves its metrics (http://127.0.0.1:${port}/metrics)`,
      `ok   worker is up (http://127.0.0.1:${port}/healthz)`,
      `ok   worker reaches Redis (http://127.0.0.1:${port}/readyz)`,
      `ok   worker serves its metrics (http://127.0.0.1:${port}/metrics)`,
    ]);
  });

  it('fails, naming the part, when the workers do not answer', async () => {
    const closed = await freePort();
    const res = await runPod({ WEB_URL: `http://127.0.0.1:${port}`, WORKER_URL: `http://127.0.0.1:${closed}`, TIMEOUT_SECONDS: '1' });
    expect(res.code).toBe(1);
    expect(res.stdout).toContain(`ok   web reaches Redis`);
    expect(res.stdout).toContain(`FAIL worker is up (http://127.0.0.1:${closed}/healthz): ECONNREFUSED`);
  });
});
