import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { cm } from '../helpers/manifests.js';
import { recordResult, startChaosTarget, terminalStatuses, type ChaosTarget } from './lib.js';

// The disk under git.cacheDir fills up during a fetch: a tmpfs of 256 KiB mounted on the cache
// directory, and a commit that carries 1 MiB. The sync says why and is retried; once there is
// room (the tmpfs is grown), the commit deploys and the mirror is intact.

const run = promisify(execFile);
let target: ChaosTarget | undefined;
let mounted: string | undefined;
afterAll(async () => {
  await target?.close().catch(() => undefined);
  if (mounted) await run('umount', ['-l', mounted]).catch(() => undefined);
});

it('a full disk under the git cache: a clear error, a retry, no corrupt mirror', async () => {
  target = await startChaosTarget('disk-full');
  const { h, namespace } = target;
  mounted = h.cacheDir;
  await run('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mounted]);

  // incompressible, so the packfile cannot fit
  const blob = randomBytes(1024 * 1024).toString('base64');
  const pushed = await target.push('big', { 'deploy/app.yaml': cm('app', '1'), 'assets/blob.txt': blob });
  expect(pushed.status).toBe(202);
  await expect.poll(() => /No space left on device|ENOSPC/.test(target!.logs()), { timeout: 60_000, interval: 250 }).toBe(true);
  expect(terminalStatuses(h, pushed.sha, namespace)).toEqual([]);

  await run('mount', ['-o', 'remount,size=64m', mounted]);
  const freedAt = Date.now();
  await expect.poll(() => terminalStatuses(h, pushed.sha, namespace).map((s) => s.state), { timeout: 90_000, interval: 250 }).toEqual(['success']);
  const convergeMs = Date.now() - freedAt;
  const mirror = (await readdir(mounted)).find((f) => f.endsWith('.git'));
  expect(mirror).toBeDefined();
  await run('git', ['fsck', '--no-progress', '--connectivity-only', pushed.sha], { cwd: path.join(mounted, mirror!) });
  expect((await h.history(namespace)).filter((e) => e.revision === pushed.sha).map((e) => e.result)).toEqual(['succeeded']);
  recordResult({ case: 'disk-full', fault: 'a 256 KiB tmpfs under git.cacheDir, a commit of 1 MiB', asserted: "'No space left on device' logged, no terminal status while full (retried); deployed once after the tmpfs grew; git fsck of the mirror passes", convergeMs });
});
