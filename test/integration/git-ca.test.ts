import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { getGlobalDispatcher, setGlobalDispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configureNetwork } from '../../src/cli/network.js';
import { ConfigError } from '../../src/errors.js';
import { remoteHead } from '../../src/sync/fetch.js';
import { GitHttpServer, TestRepo } from '../helpers/git.js';
import { runProcess } from '../helpers/process.js';

/**
 * A company's own certificate authority: a CA made here with openssl, a certificate for
 * 127.0.0.1 it signed, and a TLS front for the real git server that presents it.
 */
async function privateCa(dir: string): Promise<{ caFile: string; key: string; cert: string }> {
  const openssl = async (...args: string[]) => {
    const r = await runProcess('openssl', args, { cwd: dir, timeoutMs: 60_000 });
    if (r.code !== 0) throw new Error(`openssl ${args[0]}: ${r.stderr}`);
  };
  await openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=Driftless Test CA', '-keyout', 'ca.key', '-out', 'ca.pem');
  await openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr');
  await writeFile(path.join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  await openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'san.ext', '-out', 'server.pem');
  return { caFile: path.join(dir, 'ca.pem'), key: await readFile(path.join(dir, 'server.key'), 'utf8'), cert: await readFile(path.join(dir, 'server.pem'), 'utf8') };
}

describe('git.caFile: a private CA trusted by git and by Node fetch', () => {
  let dir: string;
  let git: GitHttpServer;
  let front: tls.Server;
  let repo: TestRepo;
  let ca: Awaited<ReturnType<typeof privateCa>>;
  let httpsUrl: string;
  let cloneUrl: string;
  const token = 'ca-test-token';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'git-ca-'));
    ca = await privateCa(dir);
    git = await GitHttpServer.start({ token });
    repo = await TestRepo.create();
    await repo.commit('init', { 'deploy/cm.yaml': 'kind: ConfigMap\n' });
    cloneUrl = git.add(repo, 'acme/private');
    const plain = new URL(git.url);
    front = tls.createServer({ key: ca.key, cert: ca.cert }, (socket) => {
      const upstream = net.connect(Number(plain.port), plain.hostname);
      socket.pipe(upstream).pipe(socket);
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    httpsUrl = `https://127.0.0.1:${(front.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => front?.close(resolve));
    await git?.close();
  });

  it('refuses the unknown CA without caFile, and fetches once caFile is configured', async () => {
    const httpsClone = cloneUrl.replace(git.url, httpsUrl);
    const credentials = { username: 'x-access-token', token };
    const saved = { ...process.env };
    const dispatcher = getGlobalDispatcher();
    try {
      delete process.env.GIT_SSL_CAINFO;
      delete process.env.SSL_CERT_FILE;
      await expect(remoteHead(httpsClone, 'main', credentials)).rejects.toThrow(/certificate|issuer|CA/i);
      await expect(fetch(`${httpsUrl}/`)).rejects.toThrow();

      await configureNetwork({ caFile: ca.caFile, cacheDir: path.join(dir, 'cache') }, path.join(dir, 'driftless.yaml'));
      expect(process.env.GIT_SSL_CAINFO).toMatch(/cache\/ca-[0-9a-f]{16}\.pem$/);
      // the bundle keeps the public authorities and adds the private one
      const bundle = await readFile(process.env.GIT_SSL_CAINFO!, 'utf8');
      expect(bundle).toContain(await readFile(ca.caFile, 'utf8'));
      expect(bundle.split('-----BEGIN CERTIFICATE-----').length - 1).toBe(tls.rootCertificates.length + 1);
      expect(await remoteHead(httpsClone, 'main', credentials)).toBe(await repo.head());
      // Node's fetch trusts it too (the git server answers 401 without the token: TLS got through)
      expect((await fetch(`${httpsClone}/info/refs?service=git-upload-pack`)).status).toBe(401);
    } finally {
      process.env = saved;
      setGlobalDispatcher(dispatcher);
    }
  });

  it('names git.caFile when the file is missing or holds no certificate', async () => {
    const file = path.join(dir, 'driftless.yaml');
    await expect(configureNetwork({ caFile: path.join(dir, 'missing.pem'), cacheDir: dir }, file, {})).rejects.toThrow(ConfigError);
    await writeFile(path.join(dir, 'empty.pem'), 'not a certificate\n');
    await expect(configureNetwork({ caFile: path.join(dir, 'empty.pem'), cacheDir: dir }, file, {})).rejects.toThrow(/git\.caFile: .*empty\.pem holds no PEM certificate/);
  });
});
