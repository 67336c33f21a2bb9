// `make demo`: the main job on a local default. Starts Driftless (`driftless all`) against the
// test environment (Redis + kube-apiserver), a real git server and the GitHub API stand-in,
// pushes a commit, sends the signed webhook and shows what got deployed and reported; then
// pushes a change that updates one object and removes another, and shows the update and the prune.
// It leaves nothing behind: Driftless is stopped (and its jobs finished) before the stand-ins
// close, then the namespace and the demo's Redis keys are deleted.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { GitHubStandIn } from '../test/helpers/github-standin.js';
import { GitHttpServer, TestRepo } from '../test/helpers/git.js';
import { pushPayload, sign } from '../test/helpers/driftless.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');
const env = Object.fromEntries(
  (await readFile(path.join(root, '.testenv', 'env'), 'utf8')).split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
);
const kubectl = (...args: string[]) => run(env.KUBECTL!, ['--kubeconfig', env.KUBECONFIG!, ...args]).then((r) => r.stdout.trimEnd());
const say = (text: string) => console.log(`\n\x1b[1m▶ ${text}\x1b[0m`);

const manifests = {
  'deploy/config.yaml': (color: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\ndata:\n  color: ${color}\n`,
  'deploy/web.yaml': `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  selector: { matchLabels: { app: web } }\n  template:\n    metadata: { labels: { app: web } }\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n          ports: [{ containerPort: 80 }]\n`,
  'deploy/service.yaml': `apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector: { app: web }\n  ports: [{ port: 80 }]\n`,
};

const namespace = `demo-${randomBytes(2).toString('hex')}`;
const secret = randomBytes(16).toString('hex');
const token = randomBytes(16).toString('hex');
const repoName = 'acme/shop';
const work = await mkdtemp(path.join(os.tmpdir(), 'driftless-demo-'));
const repo = await TestRepo.create();
const git = await GitHttpServer.start({ token });
const cloneUrl = git.add(repo, repoName);
const github = await GitHubStandIn.start({ token });
const port = 18000 + Math.floor(Math.random() * 1000);
let driftless: ReturnType<typeof spawn> | undefined;
/** When Driftless logged each commit's deploy as succeeded (its log line's arrival), by sha. */
const deployedAt = new Map<string, number>();

try {
  say(`namespace ${namespace} on the test API server (${(await kubectl('version', '-o', 'json')).match(/"gitVersion": "([^"]+)"/g)?.at(-1) ?? ''})`);
  await kubectl('create', 'namespace', namespace);
  const configFile = path.join(work, 'driftless.yaml');
  await writeFile(
    configFile,
    `providers:\n  github: { webhookSecret: "\${DEMO_WEBHOOK_SECRET}", token: "\${DEMO_GITHUB_TOKEN}", apiUrl: "${github.url}" }\n` +
      `clusters:\n  local: { kubeconfig: "${env.KUBECONFIG}" }\n` +
      `targets:\n  - name: shop\n    repo: github:${repoName}\n    cloneUrl: ${cloneUrl}\n    branch: main\n    path: deploy\n    cluster: local\n    namespace: ${namespace}\n` +
      `redis: { url: "${env.REDIS_URL}", prefix: "demo-${namespace}" }\ngit: { cacheDir: "${path.join(work, 'git')}" }\n`,
  );
  say(`driftless all --config ${configFile}  (port ${port})`);
  driftless = spawn(process.execPath, [path.join(root, 'dist', 'cli.js'), 'all', '--config', configFile], {
    env: { ...process.env, PORT: String(port), DEMO_WEBHOOK_SECRET: secret, DEMO_GITHUB_TOKEN: token, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  driftless.stdout?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      try {
        const l = JSON.parse(line) as { msg: string; target?: string; commit?: string; summary?: unknown };
        if (l.msg === 'deploy succeeded' && l.commit) deployedAt.set(l.commit, Date.now());
        console.log(`  [driftless] ${l.msg}${l.target ? ` target=${l.target}` : ''}${l.commit ? ` commit=${l.commit.slice(0, 7)}` : ''}${l.summary ? ` ${JSON.stringify(l.summary)}` : ''}`);
      } catch {
        console.log(`  [driftless] ${line}`);
      }
    }
  });
  for (let i = 0; ; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
    if (ok) break;
    if (i > 100) throw new Error('driftless did not become ready');
    await new Promise((r) => setTimeout(r, 100));
  }

  const pushAndWait = async (message: string, files: Record<string, string | null>) => {
    const before = await repo.head().catch(() => '0'.repeat(40));
    const sha = await repo.commit(message, files);
    say(`git commit "${message}" → ${sha.slice(0, 7)}; webhook POST /webhooks/github`);
    const body = pushPayload({ repo: repoName, cloneUrl, before, after: sha, paths: Object.keys(files) });
    const started = Date.now();
    const res = await fetch(`http://127.0.0.1:${port}/webhooks/github`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': randomBytes(8).toString('hex'), 'x-hub-signature-256': sign(secret, body) },
      body,
    });
    console.log(`  HTTP ${res.status} ${await res.text()}`);
    for (;;) {
      const done = github.statuses(repoName, sha).find((s) => s.state !== 'pending');
      if (done) break;
      if (Date.now() - started > 60_000) throw new Error('no final status within 60 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    const deployed = deployedAt.get(sha);
    console.log(`  deployed in ${deployed === undefined ? '?' : deployed - started} ms, reported in ${Date.now() - started} ms. Commit statuses (oldest first):`);
    for (const s of github.statuses(repoName, sha).reverse()) console.log(`    ${s.context}  ${s.state.padEnd(8)} ${s.description}`);
    say(`kubectl get configmap,deployment,service -n ${namespace}`);
    console.log(await kubectl('get', 'configmap,deployment,service', '-n', namespace, '-l', 'applyset.kubernetes.io/part-of', '-o', 'custom-columns=KIND:.kind,NAME:.metadata.name,COLOR:.data.color,READY:.status.readyReplicas,RESOURCEVERSION:.metadata.resourceVersion'));
  };

  await pushAndWait('shop: web, its config and a service', { 'deploy/config.yaml': manifests['deploy/config.yaml']('blue'), 'deploy/web.yaml': manifests['deploy/web.yaml'], 'deploy/service.yaml': manifests['deploy/service.yaml'] });
  await pushAndWait('turn it green, drop the service', { 'deploy/config.yaml': manifests['deploy/config.yaml']('green'), 'deploy/service.yaml': null });

  say('driftless history --target shop');
  const history = await run(process.execPath, [path.join(root, 'dist', 'cli.js'), 'history', '--config', configFile, '--target', 'shop'], { env: { ...process.env, DEMO_WEBHOOK_SECRET: secret, DEMO_GITHUB_TOKEN: token } });
  console.log(history.stdout.trimEnd());
  say('demo complete: success was reported once the Deployment was ready; the update changed web-config in place (new resourceVersion), the Service was pruned, the Deployment was left untouched');
} finally {
  if (driftless && driftless.exitCode === null) {
    // a graceful stop finishes the report jobs in flight; the stand-ins must outlive them
    const exited = once(driftless, 'exit');
    driftless.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000).unref())]);
    driftless.kill('SIGKILL');
  }
  await kubectl('delete', 'namespace', namespace, '--wait=false').catch(() => undefined);
  await deleteRedisKeys(`demo-${namespace}:`);
  await github.close();
  await git.close();
  await repo.remove();
  await rm(work, { recursive: true, force: true });
}

/** Deletes the demo's keys (its prefix: the stores' and BullMQ's queues) from the shared test Redis. */
async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(env.REDIS_URL!, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } catch (err) {
    console.error(`could not delete the demo's Redis keys (${prefix}*): ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    redis.disconnect();
  }
}
