import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sign } from '../helpers/driftless.js';
import { rawPost, type RawAnswer } from '../helpers/http.js';

const root = path.resolve(import.meta.dirname, '../..');
const MiB = 1024 * 1024;
/**
 * How much the web's peak resident memory (VmHWM) may grow under the floods below, with the
 * default limits (25 MiB per body, 32 MiB of unauthenticated bytes in flight). Bodies cut off
 * for the budget are garbage until the next collection, so the bound is the budget a few times
 * over plus room for a few hundred sockets, requests and log lines. Before the budget, 100
 * concurrent 24 MB bodies with a wrong signature took the same process from ~100 MB to ~1.8 GB.
 */
const BOUND_MIB = 160;

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

/** Peak resident set size of a process, in MiB (Linux /proc). */
async function peakMiB(pid: number): Promise<number> {
  const kib = /VmHWM:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kib) / 1024;
}

const status = (a: RawAnswer) => ('status' in a ? a.status : a.error);
const tally = (answers: RawAnswer[]) => answers.reduce<Record<string, number>>((t, a) => ({ ...t, [status(a)]: (t[status(a)] ?? 0) + 1 }), {});

describe('driftless serve under a flood of large unauthenticated bodies', () => {
  const secret = randomBytes(16).toString('hex');
  const logs: string[] = [];
  let dir: string;
  let child: ChildProcess;
  let url: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'driftless-flood-'));
    const file = path.join(dir, 'driftless.yaml');
    await writeFile(
      file,
      `providers:\n  github: { webhookSecret: "${secret}" }\n  generic: { secret: "${secret}" }\nclusters: { c: { kubeconfig: /dev/null } }\n` +
        `targets: [{ name: t, repo: "github:acme/shop", cluster: c, namespace: shop }]\nredis: { url: "${process.env.REDIS_URL}", prefix: "dl-flood-${randomBytes(4).toString('hex')}" }\n`,
    );
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli.ts'), 'serve', '--config', file], {
      cwd: root,
      env: { ...process.env, PORT: String(port), LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (c: Buffer) => logs.push(c.toString()));
    child.stderr?.on('data', (c: Buffer) => logs.push(c.toString()));
    for (let i = 0; i < 300 && child.exitCode === null; i++) {
      if (await fetch(`${url}/readyz`).then((r) => r.ok, () => false)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`driftless serve did not start:\n${logs.join('')}`);
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const signedPing = async () => {
    const body = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 });
    const res = await fetch(`${url}/webhooks/github`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-github-event': 'ping', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': sign(secret, body) }, body });
    return res.status;
  };
  const forged = (provider: 'github' | 'generic', declared: boolean) => ({
    'content-type': 'application/json',
    ...(declared ? { 'content-length': 24 * 1024 * 1024 } : { 'transfer-encoding': 'chunked' }),
    ...(provider === 'github' ? { 'x-github-event': 'push', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` } : { 'x-signature-256': `sha256=${'0'.repeat(64)}` }),
  });

  it(`keeps peak memory within ${BOUND_MIB} MiB of its idle peak and answers health checks at once`, { timeout: 120_000 }, async () => {
    // warm up: the code paths of a verified delivery and a refused one are loaded
    expect(await signedPing()).toBe(200);
    await rawPost(`${url}/webhooks/github`, { headers: forged('github', true), bytes: MiB });
    const idle = await peakMiB(child.pid!);

    const healthMs: number[] = [];
    let flooding = true;
    const probe = (async () => {
      while (flooding) {
        const started = performance.now();
        await fetch(`${url}/healthz`);
        healthMs.push(performance.now() - started);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    // the attack as reported: 100 concurrent 24 MB bodies with a wrong signature; then 100 chunked ones, which declare no length
    const declared = await Promise.all(Array.from({ length: 100 }, (_, i) => rawPost(`${url}/webhooks/${i % 2 ? 'github' : 'generic'}`, { headers: forged(i % 2 ? 'github' : 'generic', true), bytes: 24 * MiB })));
    const chunked = await Promise.all(Array.from({ length: 100 }, (_, i) => rawPost(`${url}/webhooks/${i % 2 ? 'github' : 'generic'}`, { headers: forged(i % 2 ? 'github' : 'generic', false), bytes: 24 * MiB })));
    flooding = false;
    await probe;
    const peak = await peakMiB(child.pid!);
    console.log(`VmHWM idle ${idle.toFixed(0)} MiB, after the floods ${peak.toFixed(0)} MiB (+${(peak - idle).toFixed(0)}); declared ${JSON.stringify(tally(declared))}, chunked ${JSON.stringify(tally(chunked))}; /healthz max ${Math.max(...healthMs).toFixed(0)} ms`);

    // every forged body was refused: 401 once read (within the budget), 503 when it did not fit
    for (const a of [...declared, ...chunked]) expect([401, 503, 'ECONNRESET', 'EPIPE']).toContain(status(a));
    expect(tally(declared)['503']).toBeGreaterThan(50);
    expect(peak - idle).toBeLessThan(BOUND_MIB);
    // answered while the flood is refused; with the suite's other files on two CPUs a probe can
    // wait for a CPU, so the bound is Kubernetes' probe budget (timeout × failures), not one timeout
    expect(Math.max(...healthMs)).toBeLessThan(5_000);
    // and a real delivery goes through afterwards
    expect(await signedPing()).toBe(200);
  });
});
