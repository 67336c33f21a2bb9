import { describe, expect, it } from 'vitest';
import { runChild } from '../../src/sync/child-process.js';

const node = process.execPath;
const env = { PATH: process.env.PATH };
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('runChild', () => {
  it('gives the exit code and both outputs', async () => {
    const result = await runChild(node, ['-e', 'process.stdout.write("out"); process.stderr.write("err"); process.exitCode = 3'], { env, timeoutMs: 10_000, maxOutputBytes: 1024 });
    expect(result).toEqual({ outcome: 'exited', code: 3, stdout: 'out', stderr: 'err' });
  });

  it('kills the whole process group at the timeout, grandchildren included', async () => {
    // the child starts a grandchild that would outlive it, prints its pid and waits
    const script = 'const c = require("node:child_process").spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" }); process.stderr.write(String(c.pid)); setInterval(() => {}, 1000);';
    const result = await runChild(node, ['-e', script], { env, timeoutMs: 1_000, maxOutputBytes: 1024 });
    expect(result.outcome).toBe('timeout');
    const grandchild = Number((result as { stderr: string }).stderr);
    expect(grandchild).toBeGreaterThan(0);
    await expect.poll(() => alive(grandchild), { timeout: 5_000 }).toBe(false);
  });

  it('stops a child whose output passes the limit', async () => {
    const result = await runChild(node, ['-e', 'setInterval(() => process.stdout.write("x".repeat(4096)), 1)'], { env, timeoutMs: 10_000, maxOutputBytes: 64 * 1024 });
    expect(result.outcome).toBe('output-limit');
  });

  it('says so when the program cannot start', async () => {
    const result = await runChild('/nonexistent/program', [], { env, timeoutMs: 1_000, maxOutputBytes: 1024 });
    expect(result).toMatchObject({ outcome: 'not-started', error: { code: 'ENOENT' } });
  });
});
