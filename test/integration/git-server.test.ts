import { promises as fs } from 'node:fs';
import os from 'node:os';
import http from 'node:http';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitCommandError, GitHttpServer, TestRepo, gitClientEnv, runGit } from '../helpers/git.js';

const TOKEN = 'ghs_test-token-1234';

describe('GitHttpServer with token auth', () => {
  let server: GitHttpServer;
  let origin: TestRepo;
  let url: string;
  let work: string;
  let first: string;

  beforeAll(async () => {
    server = await GitHttpServer.start({ token: TOKEN });
    origin = await TestRepo.create();
    first = await origin.commit('first', {
      'deploy/web.yaml': 'kind: Deployment\n',
      'README.md': '# shop\n',
    });
    url = server.add(origin, 'acme/shop');
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'driftless-clients-'));
  });

  afterAll(async () => {
    await server.close();
    await origin.remove();
    await fs.rm(work, { recursive: true, force: true });
  });

  const clone = async (name: string, env: Record<string, string>, extra: string[] = []): Promise<string> => {
    const dir = path.join(work, name);
    await runGit(['clone', '--quiet', ...extra, url, dir], { env });
    return dir;
  };

  it('serves the repository at /<path>.git', () => {
    expect(url).toBe(`${server.url}/acme/shop.git`);
    expect(server.urlFor('acme/shop.git')).toBe(url);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('clones with the token passed as an extra header', async () => {
    const dir = await clone('ok', gitClientEnv({ token: TOKEN }));
    expect(await fs.readFile(path.join(dir, 'deploy/web.yaml'), 'utf8')).toBe('kind: Deployment\n');
    const { stdout } = await runGit(['rev-parse', 'HEAD'], { cwd: dir });
    expect(stdout.trim()).toBe(first);
    // the token never lands in the clone's config
    const config = await fs.readFile(path.join(dir, '.git/config'), 'utf8');
    expect(config).not.toContain(TOKEN);
    expect(server.requests.some((r) => r.authorized && r.url.includes('git-upload-pack'))).toBe(true);
  });

  it.each([
    ['no token', gitClientEnv()],
    ['a wrong token', gitClientEnv({ token: 'wrong' })],
  ])('refuses a clone with %s', async (name, env) => {
    const before = server.requests.length;
    const error = await clone(`refused-${name.replace(/\W/g, '-')}`, env).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitCommandError);
    expect((error as GitCommandError).exitCode).not.toBe(0);
    const seen = server.requests.slice(before);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((r) => !r.authorized && r.status === 401)).toBe(true);
  });

  it('answers 401 with a basic challenge and 404 for an unknown repository', async () => {
    const anonymous = await fetch(`${url}/info/refs?service=git-upload-pack`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Basic realm="git"');

    const authorization = `Basic ${Buffer.from(`any-user:${TOKEN}`).toString('base64')}`;
    const missing = await fetch(`${server.url}/acme/nope.git/info/refs?service=git-upload-pack`, {
      headers: { authorization },
    });
    expect(missing.status).toBe(404);

    const refs = await fetch(`${url}/info/refs?service=git-upload-pack`, { headers: { authorization } });
    expect(refs.status).toBe(200);
    expect(refs.headers.get('content-type')).toBe('application/x-git-upload-pack-advertisement');
    expect(await refs.text()).toContain(first);
  });

  it.each([
    ['gzip, with a length', true, true],
    ['plain, chunked', false, false],
  ])('passes request bodies through to upload-pack (%s)', async (_name, gzip, withLength) => {
    const pkt = (line: string): string => `${(line.length + 4).toString(16).padStart(4, '0')}${line}`;
    const plain = Buffer.from(`${pkt('command=ls-refs\n')}0001${pkt('ref-prefix refs/heads/\n')}0000`);
    const body = gzip ? gzipSync(plain) : plain;
    const headers: Record<string, string> = {
      authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`,
      'content-type': 'application/x-git-upload-pack-request',
      'git-protocol': 'version=2',
    };
    if (gzip) headers['content-encoding'] = 'gzip';
    if (withLength) headers['content-length'] = String(body.length);
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = http.request(`${url}/git-upload-pack`, { method: 'POST', headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
      // two writes without a length make node send the body chunked
      req.write(body.subarray(0, 5));
      req.end(body.subarray(5));
    });
    expect(status).toBe(200);
    expect(text).toContain(`${await origin.head()} refs/heads/main`);
  });

  it('refuses pushes: receive-pack is not served', async () => {
    const dir = await clone('push', gitClientEnv({ token: TOKEN }));
    await runGit(['-c', 'user.name=x', '-c', 'user.email=x@x', 'commit', '--allow-empty', '-qm', 'x'], { cwd: dir });
    const error = await runGit(['push', 'origin', 'HEAD:main'], { cwd: dir, env: gitClientEnv({ token: TOKEN }) }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GitCommandError);
  });

  it('makes a new commit fetchable at once, deletions included', async () => {
    const env = gitClientEnv({ token: TOKEN });
    const dir = await clone('follow', env);
    const second = await origin.commit('drop the readme, bump web', {
      'README.md': null,
      'deploy/web.yaml': 'kind: Deployment\nreplicas: 2\n',
    });
    await runGit(['fetch', '--quiet', 'origin'], { cwd: dir, env });
    const { stdout } = await runGit(['rev-parse', 'origin/main'], { cwd: dir });
    expect(stdout.trim()).toBe(second);
    await runGit(['checkout', '--quiet', '--detach', second], { cwd: dir });
    await expect(fs.access(path.join(dir, 'README.md'))).rejects.toThrow();
    expect(await fs.readFile(path.join(dir, 'deploy/web.yaml'), 'utf8')).toContain('replicas: 2');
    expect((await origin.log(5)).map((c) => c.subject)).toEqual(['drop the readme, bump web', 'first']);
  });

  it.each(['0', '2'])('fetches a commit that is no longer a branch tip by sha (protocol v%s)', async (version) => {
    const env = gitClientEnv({ token: TOKEN });
    const target = await origin.commit(`target v${version}`, { [`v${version}.txt`]: 'x\n' });
    await origin.commit(`after v${version}`, { [`v${version}.txt`]: 'y\n' });
    const dir = await clone(`sha-v${version}`, env, ['--depth', '1', '-c', `protocol.version=${version}`]);
    await expect(runGit(['cat-file', '-e', `${target}^{commit}`], { cwd: dir })).rejects.toThrow();
    await runGit(['-c', `protocol.version=${version}`, 'fetch', '--quiet', '--depth', '1', 'origin', target], {
      cwd: dir,
      env,
    });
    await runGit(['cat-file', '-e', `${target}^{commit}`], { cwd: dir });
  });

  it('serves other branches', async () => {
    const env = gitClientEnv({ token: TOKEN });
    await origin.branch('feature');
    await origin.checkout('feature');
    const onFeature = await origin.commit('on feature', { 'feature.txt': 'f\n' });
    await origin.checkout('main');
    const { stdout } = await runGit(['ls-remote', url, 'refs/heads/feature'], { env });
    expect(stdout.split('\t')[0]).toBe(onFeature);
    expect(await origin.head('feature')).toBe(onFeature);
  });
});

describe('GitHttpServer', () => {
  it('serves without auth when no token is set, with a fixed username when one is set', async () => {
    const open = await GitHttpServer.start();
    const named = await GitHttpServer.start({ token: 't0k', username: 'driftless' });
    const repo = await TestRepo.create({ branch: 'trunk' });
    try {
      const sha = await repo.commit('only', { 'a.txt': 'a\n' });
      open.add(repo, 'o/r');
      named.add(repo, 'o/r.git');
      const anon = await runGit(['ls-remote', open.urlFor('o/r'), 'refs/heads/trunk'], { env: gitClientEnv() });
      expect(anon.stdout).toContain(sha);
      expect(open.requests.every((r) => r.authorized)).toBe(true);

      const good = await runGit(['ls-remote', named.urlFor('o/r')], {
        env: gitClientEnv({ token: 't0k', username: 'driftless' }),
      });
      expect(good.stdout).toContain(sha);
      await expect(
        runGit(['ls-remote', named.urlFor('o/r')], { env: gitClientEnv({ token: 't0k', username: 'someone' }) }),
      ).rejects.toBeInstanceOf(GitCommandError);
    } finally {
      await open.close();
      await open.close();
      await named.close();
      await repo.remove();
    }
  });

  it('refuses repository paths that leave the project root', async () => {
    const server = await GitHttpServer.start();
    const repo = await TestRepo.create();
    try {
      expect(() => server.add(repo, '../escape')).toThrow(/invalid repository path/);
      await expect(repo.write({ '../x': 'x' })).rejects.toThrow(/outside the working tree/);
    } finally {
      await server.close();
      await repo.remove();
    }
  });
});
