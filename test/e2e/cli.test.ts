import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getObject } from '../../src/kube/objects.js';
import { DriftlessHarness } from '../helpers/driftless.js';
import { createNamespace, testKube, uniqueName } from '../helpers/kube.js';
import { runProcess } from '../helpers/process.js';

const root = path.resolve(import.meta.dirname, '../..');
const tsx = pathToFileURL(path.join(root, 'node_modules/tsx/dist/loader.mjs')).href;
const { client, discovery } = testKube();

/** Runs the CLI from source, as `driftless <args>`, in `cwd` (default: the project) with `env` added. */
function cli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // tsx by its URL: `--import tsx` resolves from the working directory, which a test moves
    execFile(process.execPath, ['--import', tsx, path.join(root, 'src/cli.ts'), ...args], { cwd: options.cwd ?? root, env: { ...process.env, LOG_LEVEL: 'warn', ...options.env } }, (err, stdout, stderr) =>
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

  it('diff prints the ChangeSet with Secret values masked, writes nothing, and exits 1 for changes', async () => {
    const res = await cli(['diff', '--config', configFile, '--target', namespace]);
    expect(res.code).toBe(1);
    expect(res.stdout).toContain(`created    ConfigMap/${namespace}/settings  (deploy/cm.yaml)`);
    expect(res.stdout).toContain('2 created');
    expect(res.stdout).toContain('*** (after)');
    expect(res.stdout).not.toContain('s3cr3t-value');
    const info = (await discovery.resourceFor('v1', 'ConfigMap'))!;
    expect(await getObject(client, info, namespace, 'settings')).toBeUndefined();
  });

  it('diff -o json and -o yaml give the ChangeSet as data, masked, and the same exit code', async () => {
    const json = await cli(['diff', '--config', configFile, '--target', namespace, '-o', 'json']);
    expect(json.code).toBe(1);
    const data = JSON.parse(json.stdout) as { target: string; revision: string; changed: boolean; summary: Record<string, number>; changes: { subject: string; action: string; diff?: string }[] };
    expect(data).toMatchObject({ target: namespace, revision: await h.repo.head(), changed: true, summary: { created: 2 } });
    expect(data.changes.map((c) => `${c.action} ${c.subject}`).sort()).toEqual([`created ConfigMap/${namespace}/settings`, `created Secret/${namespace}/creds`]);
    expect(json.stdout).not.toContain('s3cr3t-value');
    const yaml = await cli(['diff', '--config', configFile, '--target', namespace, '--output', 'yaml']);
    expect(yaml.code).toBe(1);
    expect(load(yaml.stdout)).toEqual(data);
  });

  it('diff exits 2 for an error: a revision the repository does not have, or a bad -o', async () => {
    const missing = await cli(['diff', '--config', configFile, '--target', namespace, '--revision', 'f'.repeat(40)]);
    expect(missing.code).toBe(2);
    expect(missing.stdout).toBe('');
    const bad = await cli(['diff', '--config', configFile, '--target', namespace, '-o', 'xml']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('-o/--output takes json or yaml, got "xml"');
  });

  it('sync deploys the branch head and history records it', async () => {
    const res = await cli(['sync', '--config', configFile, '--target', namespace]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('2 created');
    const info = (await discovery.resourceFor('v1', 'ConfigMap'))!;
    expect((await getObject(client, info, namespace, 'settings'))?.data).toEqual({ mode: 'fast' });
    const history = await cli(['history', '--config', configFile, '--target', namespace]);
    expect(history.stdout).toMatch(new RegExp(`${(await h.repo.head()).slice(0, 7)}\\s+succeeded\\s+api/`));
    const entries = JSON.parse((await cli(['history', '--config', configFile, '--target', namespace, '-o', 'json'])).stdout) as { revision: string; result: string; trigger: { kind: string } }[];
    expect(entries[0]).toMatchObject({ revision: await h.repo.head(), result: 'succeeded', trigger: { kind: 'api' } });
    expect(load((await cli(['history', '--config', configFile, '--target', namespace, '-o', 'yaml'])).stdout)).toEqual(entries);
  });

  it('diff exits 0 once the cluster runs what Git holds', async () => {
    const res = await cli(['diff', '--config', configFile, '--target', namespace]);
    expect(res).toMatchObject({ code: 0 });
    expect(res.stdout).toContain('no changes (2 unchanged)');
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
    const json = await cli(['status', '--config', configFile, '-o', 'json']);
    expect(json.code).toBe(0);
    // the document GET /api/targets answers, so one jq filter reads both
    const statuses = JSON.parse(json.stdout) as { targets: { target: string; condition: string; deployed: { sha: string } }[] };
    expect(Object.keys(statuses)).toEqual(['targets']);
    expect(statuses.targets).toEqual([expect.objectContaining({ target: namespace, condition: 'applied', deployed: expect.objectContaining({ sha: expect.stringMatching(/^[0-9a-f]{40}$/) }) })]);
    expect(load((await cli(['status', '--config', configFile, '-o', 'yaml'])).stdout)).toEqual(statuses);
  });

  it('status and history only read: pointed at an unused prefix they leave Redis without a key of it', async () => {
    const prefix = `unused-${randomBytes(4).toString('hex')}`;
    const unused = path.join(path.dirname(configFile), 'unused-prefix.yaml');
    await writeFile(unused, h.configYaml.replace(`prefix: "${h.config.redis.prefix}"`, `prefix: "${prefix}"`));
    expect((await cli(['status', '--config', unused])).stdout).toMatch(new RegExp(`^${namespace}  github:${h.repoName}@main  never deployed`));
    expect((await cli(['history', '--config', unused, '--target', namespace])).stdout).toBe(`${namespace}: no syncs recorded\n`);
    const redis = new Redis(h.config.redis.url);
    try {
      expect(await redis.keys(`${prefix}*`)).toEqual([]);
    } finally {
      await redis.quit();
    }
  });

  it('finds the config in $DRIFTLESS_CONFIG, else ./driftless.yaml, and says where to put one when there is none', async () => {
    const fromEnv = await cli(['status'], { env: { DRIFTLESS_CONFIG: configFile } });
    expect(fromEnv.code).toBe(0);
    expect(fromEnv.stdout).toContain(`${namespace}  github:`);
    const fromCwd = await cli(['status', '-o', 'json'], { cwd: path.dirname(configFile) });
    expect(fromCwd.code).toBe(0);
    expect(JSON.parse(fromCwd.stdout)).toEqual({ targets: [expect.objectContaining({ target: namespace })] });
    const flagWins = await cli(['validate-config', '--config', configFile], { env: { DRIFTLESS_CONFIG: '/nonexistent/driftless.yaml' } });
    expect(flagWins.code).toBe(0);
    const none = await cli(['status'], { cwd: os.tmpdir() });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('status needs a config file: --config FILE, $DRIFTLESS_CONFIG, or ./driftless.yaml');
  });

  it('version prints the package and Node.js versions, as text, JSON or YAML', async () => {
    const { version } = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { version: string };
    expect(await cli(['version'])).toMatchObject({ code: 0, stdout: `driftless ${version} (node ${process.version})\n` });
    expect((await cli(['--version'])).stdout).toBe(`driftless ${version} (node ${process.version})\n`);
    expect(JSON.parse((await cli(['version', '-o', 'json'])).stdout)).toEqual({ version, nodeVersion: process.version });
    expect(load((await cli(['version', '-o', 'yaml'])).stdout)).toEqual({ version, nodeVersion: process.version });
  });

  it('bash completion completes commands, options, formats and the configured targets', async () => {
    const script = path.join(path.dirname(configFile), 'driftless.bash');
    const completion = await cli(['completion', 'bash']);
    expect(completion.code).toBe(0);
    await writeFile(script, completion.stdout);
    // `driftless` on PATH, as an installed CLI is, so the script's own call for --target runs the real CLI
    const bin = await mkdtemp(path.join(os.tmpdir(), 'cli-bin-'));
    await writeFile(path.join(bin, 'driftless'), `#!/bin/sh\nexec "${process.execPath}" --import tsx "${path.join(root, 'src/cli.ts')}" "$@"\n`, { mode: 0o755 });
    const complete = async (...words: string[]) => {
      const res = await runProcess('bash', ['-c', `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _driftless; printf '%s\\n' "\${COMPREPLY[@]}"`, 'bash', script, ...words], {
        cwd: root,
        env: { PATH: `${bin}:${process.env.PATH}`, LOG_LEVEL: 'warn' },
        timeoutMs: 60_000,
      });
      expect(res.stderr).toBe('');
      return res.stdout.split('\n').filter(Boolean);
    };
    expect(await complete('driftless', 'st')).toEqual(['status']);
    expect(await complete('driftless', 'v')).toEqual(['validate-config', 'version']);
    expect(await complete('driftless', 'diff', '--')).toEqual(['--config', '--target', '--revision', '--output']);
    expect(await complete('driftless', 'status', '-o', '')).toEqual(['json', 'yaml']);
    expect(await complete('driftless', 'completion', '')).toEqual(['bash', 'zsh']);
    expect(await complete('driftless', 'sync', '--config', configFile, '--target', '')).toEqual([namespace]);
    expect(await complete('driftless', 'sync', '--target', '')).toEqual([]);
  });

  it('zsh completion registers _driftless for driftless and offers the commands with descriptions', async () => {
    const completion = await cli(['completion', 'zsh']);
    expect(completion.code).toBe(0);
    const script = path.join(path.dirname(configFile), '_driftless');
    await writeFile(script, completion.stdout);
    const res = await runProcess('zsh', ['-f', '-c', `autoload -Uz compinit && compinit -u -d "$1.zcompdump" && source "$1" && print -r -- "$_comps[driftless]"`, 'zsh', script], { timeoutMs: 60_000 });
    expect(res).toMatchObject({ code: 0, stdout: '_driftless\n', stderr: '' });
    expect(completion.stdout).toContain("'diff:what a sync would change'");
  });

  it('answers a usage error with exit 2', async () => {
    const res = await cli(['sync', '--config', configFile, '--target', 'nope']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`unknown target nope; configured: ${namespace}`);
  });

  it('answers --help with the usage and exit 0, and a malformed option as a usage error, not Node\'s own message', async () => {
    for (const args of [['--help'], ['help'], ['sync', '--help']]) {
      const res = await cli(args);
      expect(res.code).toBe(0);
      expect(res.stdout).toMatch(/^usage: driftless <command>/);
    }
    const bogus = await cli(['sync', '--bogus']);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toMatch(/^Unknown option '--bogus'\n\nusage: driftless/);
    const port = await cli(['github-app', 'create', '--webhook-url', 'https://d.example.com/webhooks/github', '--port', 'abc']);
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('--port "abc" is not a port number');
  });
});
