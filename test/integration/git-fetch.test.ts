import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FetchError } from '../../src/errors.js';
import { ensureCommits, fetchRevision, remoteHead } from '../../src/sync/fetch.js';
import { GitHttpServer, TestRepo } from '../helpers/git.js';

// The production fetcher (src/sync/fetch.ts) against a git server behind basic auth.
const TOKEN = 'ghs_fetch-token-5678';
const credentials = { username: 'x-access-token', token: TOKEN };

describe('fetching a commit over HTTPS with a token', () => {
  let server: GitHttpServer;
  let origin: TestRepo;
  let url: string;
  let cacheDir: string;
  let head: string;

  beforeAll(async () => {
    server = await GitHttpServer.start({ token: TOKEN });
    origin = await TestRepo.create();
    head = await origin.commit('first', { 'deploy/web.yaml': 'kind: Deployment\n' });
    url = server.add(origin, 'acme/shop');
    cacheDir = await fs.mkdtemp(path.join(os.tmpdir(), 'driftless-fetch-'));
  });

  afterAll(async () => {
    await server.close();
    await origin.remove();
    await fs.rm(cacheDir, { recursive: true, force: true });
  });

  it('reads the branch head and checks the commit out', async () => {
    expect(await remoteHead(url, 'main', credentials)).toBe(head);
    const checkout = await fetchRevision({ cacheDir, cloneUrl: url, credentials, sha: head });
    try {
      expect(await fs.readFile(path.join(checkout.dir, 'deploy/web.yaml'), 'utf8')).toBe('kind: Deployment\n');
    } finally {
      await checkout.remove();
    }
  });

  it('fails for good, in git words and without the token, when the token is wrong', async () => {
    const err = await remoteHead(url, 'main', { ...credentials, token: 'wrong' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FetchError);
    expect((err as FetchError).permanent).toBe(true);
    expect((err as FetchError).message).toMatch(/^listing main on .*: /);
    expect((err as FetchError).message).not.toContain('wrong');
  });

  it('fails for good when the commit is not on the server', async () => {
    const err = await ensureCommits({ cacheDir, cloneUrl: url, credentials, shas: ['0'.repeat(40)] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FetchError);
    expect((err as FetchError).permanent).toBe(true);
  });

  it('checks out many commits of one repository at once (targets of a monorepo pushed together), each with its own files', async () => {
    const shas = [head];
    for (let i = 1; i <= 5; i++) shas.push(await origin.commit(`change ${i}`, { 'deploy/web.yaml': `kind: Deployment # ${i}\n`, [`apps/app-${i}.yaml`]: `n: ${i}\n` }));
    await ensureCommits({ cacheDir, cloneUrl: url, credentials, shas });
    // 4 checkouts of each commit, all at once: one shared index made all but one fail with index.lock
    const checkouts = await Promise.all(shas.flatMap((sha) => Array.from({ length: 4 }, () => fetchRevision({ cacheDir, cloneUrl: url, credentials, sha }))));
    try {
      for (const [n, checkout] of checkouts.entries()) {
        const i = Math.floor(n / 4);
        expect(checkout.sha).toBe(shas[i]);
        expect(await fs.readFile(path.join(checkout.dir, 'deploy/web.yaml'), 'utf8')).toBe(i === 0 ? 'kind: Deployment\n' : `kind: Deployment # ${i}\n`);
        expect((await fs.readdir(checkout.dir)).sort()).toEqual(i === 0 ? ['deploy'] : ['apps', 'deploy']);
      }
    } finally {
      await Promise.all(checkouts.map((c) => c.remove()));
    }
    // no index files are left beside the checkouts
    expect((await fs.readdir(cacheDir)).filter((f) => f.endsWith('.index'))).toEqual([]);
  });
});

describe('what a checkout holds and how often the remote is asked', () => {
  let server: GitHttpServer;
  let origin: TestRepo;
  let url: string;
  let cacheDir: string;

  beforeAll(async () => {
    server = await GitHttpServer.start({ token: TOKEN });
    origin = await TestRepo.create();
    url = server.add(origin, 'acme/fleet');
    cacheDir = await fs.mkdtemp(path.join(os.tmpdir(), 'driftless-fetch-scope-'));
  });

  afterAll(async () => {
    await server.close();
    await origin.remove();
    await fs.rm(cacheDir, { recursive: true, force: true });
  });

  const uploads = () => server.requests.filter((r) => r.method === 'POST' && r.url.endsWith('/git-upload-pack')).length;
  const listings = () => server.requests.filter((r) => r.method === 'GET' && r.url.includes('/info/refs')).length;
  const files = async (dir: string) => (await fs.readdir(dir, { recursive: true })).map(String).sort();

  it('checks out only the scope, and the rest of the tree when widened', async () => {
    const sha = await origin.commit('two targets', { 'team-a/app.yaml': 'a: 1\n', 'team-b/app.yaml': 'b: 1\n', 'README.md': '# fleet\n' });
    const checkout = await fetchRevision({ cacheDir, cloneUrl: url, credentials, sha, scope: 'team-a' });
    try {
      expect(checkout.scope).toBe('team-a');
      expect(await files(checkout.dir)).toEqual(['team-a', 'team-a/app.yaml']);
      await checkout.widen();
      expect(checkout.scope).toBeUndefined();
      expect(await files(checkout.dir)).toEqual(['README.md', 'team-a', 'team-a/app.yaml', 'team-b', 'team-b/app.yaml']);
    } finally {
      await checkout.remove();
    }
  });

  it('reads a scope literally, and gives the whole tree for a path the commit lacks (the render names it)', async () => {
    const sha = await origin.commit('a star in a name', { 'team-*/app.yaml': 'star: 1\n' });
    const literal = await fetchRevision({ cacheDir, cloneUrl: url, credentials, sha, scope: 'team-*' });
    const missing = await fetchRevision({ cacheDir, cloneUrl: url, credentials, sha, scope: 'team-c' });
    try {
      expect(await files(literal.dir)).toEqual(['team-*', 'team-*/app.yaml']);
      expect(missing.scope).toBeUndefined();
      expect(await files(missing.dir)).toContain('team-b/app.yaml');
    } finally {
      await Promise.all([literal.remove(), missing.remove()]);
    }
  });

  it('fetches a new commit once for the many syncs of one repository that ask for it at once', async () => {
    const sha = await origin.commit('ten targets', Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`t${i}/app.yaml`, `n: ${i}\n`])));
    const before = uploads();
    const checkouts = await Promise.all(Array.from({ length: 10 }, (_, i) => fetchRevision({ cacheDir, cloneUrl: url, credentials, sha, scope: `t${i}` })));
    try {
      expect(uploads() - before).toBe(1);
      for (const [i, checkout] of checkouts.entries()) expect(await fs.readFile(path.join(checkout.dir, `t${i}/app.yaml`), 'utf8')).toBe(`n: ${i}\n`);
    } finally {
      await Promise.all(checkouts.map((c) => c.remove()));
    }
  });

  it('lists a branch once for the syncs queued before the listing started, and anew for one queued after it', async () => {
    const queuedAt = Date.now();
    const first = await origin.commit('listed', { 'team-a/app.yaml': 'a: 2\n' });
    const before = listings();
    const heads = await Promise.all(Array.from({ length: 5 }, () => remoteHead(url, 'main', credentials, { notBefore: queuedAt })));
    expect(heads).toEqual(Array(5).fill(first));
    expect(listings() - before).toBe(1);
    // a done listing still answers a sync queued before it started
    expect(await remoteHead(url, 'main', credentials, { notBefore: queuedAt })).toBe(first);
    expect(listings() - before).toBe(1);

    const second = await origin.commit('pushed after the listing', { 'team-a/app.yaml': 'a: 3\n' });
    expect(await remoteHead(url, 'main', credentials, { notBefore: Date.now() })).toBe(second);
    expect(await remoteHead(url, 'main', credentials)).toBe(second);
    expect(listings() - before).toBe(3);
  });
});
