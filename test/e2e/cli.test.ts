import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getObject } from '../../src/kube/objects.js';
import { DriftlessHarness } from '../helpers/driftless.js';
import { createNamespace, testKube, uniqueName } from '../helpers/kube.js';

const root = path.resolve(import.meta.dirname, '../..');
const { client, discovery } = testKube();

/** Runs the CLI from source, as `driftless <args>`. */
function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli.ts'), ...args], { cwd: root, env: { ...process.env, LOG_LEVEL: 'warn' } }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) }),
    );
  });
}

describe('the driftless CLI', () => {
  let h: DriftlessHarness;
  let namespace: string;
  let configFile: string;
  beforeAll(async () => {
    namespace = uniqueName('cli');
    await createNamespace(client, namespace);
    h = await DriftlessHarness.start({ namespace, workers: false });
    configFile = path.join(await mkdtemp(path.join(os.tmpdir(), 'cli-')), 'driftless.yaml');
    await writeFile(configFile, h.configYaml);
    await h.repo.commit('app', {
      'deploy/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {mode: fast}\n',
      'deploy/secret.yaml': 'apiVersion: v1\nkind: Secret\nmetadata: {name: creds}\nstringData: {password: s3cr3t-value}\n',
    });
  });
  afterAll(async () => {
    await h?.close();
    client.close();
  });

  it('validate-config accepts a valid file and names the path of every problem in an invalid one', async () => {
    const ok = await cli(['validate-config', configFile]);
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.stdout).toContain(`valid (1 target: ${namespace})`);
    const bad = path.join(path.dirname(configFile), 'bad.yaml');
    await writeFile(bad, h.configYaml.replace('cluster: test', 'cluster: nowhere'));
    const failed = await cli(['validate-config', bad]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/bad\.yaml[\s\S]*targets\[0\]\.cluster: unknown cluster "nowhere"/);
  });

  it('diff prints the ChangeSet with Secret values masked and writes nothing', async () => {
    const res = await cli(['diff', '--config', configFile, '--target', namespace]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`created    ConfigMap/${namespace}/settings  (deploy/cm.yaml)`);
    expect(res.stdout).toContain('2 created');
    expect(res.stdout).toContain('*** (after)');
    expect(res.stdout).not.toContain('s3cr3t-value');
    const info = (await discovery.resourceFor('v1', 'ConfigMap'))!;
    expect(await getObject(client, info, namespace, 'settings')).toBeUndefined();
  });

  it('sync deploys the branch head and history records it', async () => {
    const res = await cli(['sync', '--config', configFile, '--target', namespace]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('2 created');
    const info = (await discovery.resourceFor('v1', 'ConfigMap'))!;
    expect((await getObject(client, info, namespace, 'settings'))?.data).toEqual({ mode: 'fast' });
    const history = await cli(['history', '--config', configFile, '--target', namespace]);
    expect(history.stdout).toMatch(new RegExp(`${(await h.repo.head()).slice(0, 7)}\\s+succeeded\\s+api/`));
  });

  it('rollback deploys the previous healthy revision', async () => {
    const first = await h.repo.head();
    await h.repo.commit('change', { 'deploy/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {mode: slow}\n' });
    expect((await cli(['sync', '--config', configFile, '--target', namespace])).code).toBe(0);
    const info = (await discovery.resourceFor('v1', 'ConfigMap'))!;
    expect((await getObject(client, info, namespace, 'settings'))?.data).toEqual({ mode: 'slow' });
    const res = await cli(['rollback', '--config', configFile, '--target', namespace]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`${first.slice(0, 7)} (rollback)`);
    expect((await getObject(client, info, namespace, 'settings'))?.data).toEqual({ mode: 'fast' });
  });

  it('status shows what each target runs', async () => {
    const res = await cli(['status', '--config', configFile]);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(new RegExp(`^${namespace}  github:${h.repoName}@main  applied: [0-9a-f]{7} `));
  });

  it('answers a usage error with exit 2', async () => {
    const res = await cli(['sync', '--config', configFile, '--target', 'nope']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`unknown target nope; configured: ${namespace}`);
  });
});
