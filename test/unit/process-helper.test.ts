import { describe, expect, it } from 'vitest';
import { runProcess } from '../helpers/process.js';

// The helper every test uses to feed a child process: a child that exits before reading its
// input must not turn the write into an unhandled EPIPE that fails the whole run.
describe('runProcess', () => {
  it('survives a child that exits without reading a large input', async () => {
    const input = 'x'.repeat(8 * 1024 * 1024);
    for (let i = 0; i < 5; i++) {
      const result = await runProcess(process.execPath, ['-e', 'process.exit(3)'], { input });
      expect(result.code).toBe(3);
    }
  });

  it('passes input, output and exit code through', async () => {
    const result = await runProcess(process.execPath, ['-e', 'process.stdin.pipe(process.stdout); process.stdin.on("end", () => { process.stderr.write("done"); process.exitCode = 2; })'], { input: 'hello' });
    expect(result).toEqual({ code: 2, stdout: 'hello', stderr: 'done' });
  });

  it('rejects when the program cannot be started', async () => {
    await expect(runProcess('/nonexistent/program', [])).rejects.toThrow(/ENOENT/);
  });
});
