import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeTree } from './files.js';
import { freePort, runProcess } from './process.js';

const root = path.resolve(import.meta.dirname, '../..');

/**
 * A real OCI registry on 127.0.0.1: the CNCF distribution registry (scripts/registry, built from
 * the Go module proxy), filesystem storage in a scratch folder, no authentication. Charts are
 * pushed to it with `helm push`, as a chart publisher would.
 */
export class OciRegistry {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    /** `127.0.0.1:<port>` */
    readonly host: string,
  ) {}

  static async start(): Promise<OciRegistry> {
    const built = await runProcess(path.join(root, 'scripts', 'registry'), ['--path'], { cwd: root, timeoutMs: 20 * 60_000 });
    if (built.code !== 0) throw new Error(`scripts/registry could not build the registry:\n${built.stderr}`);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'driftless-oci-'));
    const port = await freePort();
    const config = path.join(dir, 'config.yml');
    await writeFile(config, `version: 0.1\nlog: { level: error }\nstorage: { filesystem: { rootdirectory: ${JSON.stringify(path.join(dir, 'data'))} } }\nhttp: { addr: 127.0.0.1:${port} }\n`);
    const child = spawn(built.stdout.trim(), ['serve', config], { stdio: 'ignore' });
    const registry = new OciRegistry(child, dir, `127.0.0.1:${port}`);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const up = await fetch(`http://${registry.host}/v2/`).then((r) => r.status === 200, () => false);
      if (up) return registry;
      if (Date.now() > deadline || child.exitCode !== null) {
        await registry.close();
        throw new Error('the OCI registry did not start');
      }
      await sleep(100);
    }
  }

  /** `helm package`s a chart (paths → content) and `helm push`es it under `oci://<host>/<repository>`. */
  async push(helm: string, repository: string, files: Record<string, string>): Promise<void> {
    const work = await mkdtemp(path.join(this.dir, 'chart-'));
    const env = { HOME: work, HELM_CACHE_HOME: path.join(work, '.cache'), HELM_CONFIG_HOME: path.join(work, '.config'), HELM_DATA_HOME: path.join(work, '.data') };
    const source = await writeTree(path.join(work, 'src'), files);
    const packaged = await runProcess(helm, ['package', source, '--destination', work], { env });
    if (packaged.code !== 0) throw new Error(`helm package: ${packaged.stderr}`);
    const archive = packaged.stdout.trim().split(': ').pop()!;
    const pushed = await runProcess(helm, ['push', archive, `oci://${this.host}/${repository}`, '--plain-http'], { env });
    if (pushed.code !== 0) throw new Error(`helm push: ${pushed.stderr}`);
  }

  async close(): Promise<void> {
    this.child.kill('SIGKILL');
    await rm(this.dir, { recursive: true, force: true });
  }
}
