import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { GitHubWebhook } from '../../src/providers/github/webhook.js';

const require = createRequire(import.meta.url);
const examples = require('@octokit/webhooks-examples') as { name: string; examples: Record<string, any>[] }[]; // eslint-disable-line @typescript-eslint/no-explicit-any
const example = (action: string) => structuredClone(examples.find((e) => e.name === 'check_run')!.examples.find((x) => x.action === action)!);

/** GitHub's check_run example with our check's name and a pull request. */
function payload(action: string, name: string, prs: number[] = [7]) {
  const p = example(action);
  p.check_run = { ...p.check_run, name, head_sha: 'a'.repeat(40), pull_requests: prs.map((number) => ({ number })) };
  return Buffer.from(JSON.stringify(p));
}
const normalize = (body: Buffer) => new GitHubWebhook('s').normalize(body, { 'x-github-event': 'check_run' });

describe('check_run rerequested', () => {
  it('is the command its check answers to, from who clicked Re-run', () => {
    expect(normalize(payload('rerequested', 'driftless/shop/diff'))).toMatchObject({ kind: 'comment', repo: 'github/hello-world', pr: 7, author: 'octocat', body: '/diff shop' });
    expect(normalize(payload('rerequested', 'driftless/shop'))).toMatchObject({ kind: 'comment', pr: 7, body: `/deploy shop ${'a'.repeat(40)}` });
  });

  it.each([
    ['another App’s check', payload('rerequested', 'ci/test'), /not Driftless/],
    ['a look-alike name', payload('rerequested', 'driftless/shop/diff /deploy x'), /not Driftless/],
    ['a check outside a pull request', payload('rerequested', 'driftless/shop', []), /outside a pull request/],
    ['other actions', payload('completed', 'driftless/shop'), /check_run completed is not handled/],
  ])('ignores %s', (_name, body, reason) => {
    const event = normalize(body);
    expect(event.kind).toBe('ignored');
    expect((event as { reason: string }).reason).toMatch(reason);
  });
});
