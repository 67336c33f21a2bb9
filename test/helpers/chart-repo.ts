import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { writeTree } from './files.js';
import { runProcess } from './process.js';

/** How a chart repository wants to be authenticated; none when absent. */
export type ChartRepoAuth = { username: string; password: string } | { token: string };

/**
 * A real Helm chart repository on 127.0.0.1: the archives `helm package` makes and the
 * `index.yaml` `helm repo index` writes for them (with their digests), served over HTTP with
 * basic auth or a bearer token. Records every request, so a test can see what was downloaded.
 */
export class ChartRepository {
  private constructor(
    /** `METHOD /path` of every request, and whether it was let in. */
    readonly requests: { path: string; authorized: boolean }[],
    private readonly server: Server,
    private readonly dir: string,
    /** The repository URL, as `targets[].helm.repositories[].url` names it. */
    readonly url: string,
  ) {}

  /**
   * Packages each chart (repository paths → content, one folder per chart with its Chart.yaml),
   * indexes them and serves them.
   */
  static async start(helm: string, charts: Record<string, Record<string, string>>, auth?: ChartRepoAuth): Promise<ChartRepository> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'driftless-chart-repo-'));
    const env = { HOME: dir, HELM_CACHE_HOME: path.join(dir, '.cache'), HELM_CONFIG_HOME: path.join(dir, '.config'), HELM_DATA_HOME: path.join(dir, '.data') };
    const served = path.join(dir, 'served');
    for (const [name, files] of Object.entries(charts)) {
      const source = await writeTree(path.join(dir, 'src', name), files);
      const packaged = await runProcess(helm, ['package', source, '--destination', served], { env });
      if (packaged.code !== 0) throw new Error(`helm package ${name}: ${packaged.stderr}`);
    }
    const expected = auth && ('token' in auth ? `Bearer ${auth.token}` : `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`);
    const requests: ChartRepository['requests'] = [];
    const server = createServer((req, res) => {
      const authorized = !expected || req.headers.authorization === expected;
      requests.push({ path: `${req.method} ${req.url}`, authorized });
      if (!authorized) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="charts"' }).end();
        return;
      }
      const file = path.join(served, path.basename(new URL(req.url ?? '/', 'http://x').pathname));
      readFile(file).then(
        (body) => res.writeHead(200, { 'content-type': file.endsWith('.yaml') ? 'text/yaml' : 'application/gzip' }).end(body),
        () => res.writeHead(404).end(),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const url = `http://127.0.0.1:${port}/charts`;
    const indexed = await runProcess(helm, ['repo', 'index', served, '--url', url], { env });
    if (indexed.code !== 0) throw new Error(`helm repo index: ${indexed.stderr}`);
    return new ChartRepository(requests, server, dir, url);
  }

  /** Requests for archives (not the index). */
  get downloads(): string[] {
    return this.requests.filter((r) => r.authorized && r.path.endsWith('.tgz')).map((r) => r.path);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await rm(this.dir, { recursive: true, force: true });
  }
}
