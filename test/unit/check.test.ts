import { describe, expect, it } from 'vitest';
import type { Change } from '../../src/model/change.js';
import { checkFromStatus, outputLimits, previewCheck } from '../../src/report/check.js';
import { documentLines } from '../../src/sync/render/documents.js';

describe('documentLines', () => {
  it.each([
    { text: 'a: 1\n', lines: [1] },
    { text: '---\n# c\na: 1\n', lines: [3] },
    { text: 'a: 1\n---\nb: 2\n---\n\nc: 3\n', lines: [1, 3, 6] },
    { text: '%YAML 1.1\n---\na: 1\n...\n---\nb: 2\n', lines: [3, 6] },
    { text: '--- {a: 1}\n--- {b: 2}\n', lines: [1, 2] },
  ])('$lines for $text', ({ text, lines }) => {
    expect(documentLines(text)).toEqual(lines);
  });
});

describe('check runs', () => {
  it.each([
    ['pending', 'queued', undefined],
    ['running', 'in_progress', undefined],
    ['success', 'completed', 'success'],
    ['failure', 'completed', 'failure'],
    ['error', 'completed', 'failure'],
    ['superseded', 'completed', 'neutral'],
  ] as const)('a %s status is a %s check (%s)', (state, status, conclusion) => {
    expect(checkFromStatus(state, 'why')).toEqual({ status, ...(conclusion ? { conclusion } : {}), output: { title: 'why', summary: 'why' } });
  });

  const change = (i: number, diff: string): Change => ({ subject: `ConfigMap/shop/c${i}`, action: 'configured', file: `deploy/c${i}.yaml`, line: i, diff });

  it('cuts the text at a whole diff within GitHub’s limit, saying how many were left out', () => {
    const big = '+'.repeat(20_000);
    const check = previewCheck('shop', { sha: 'a'.repeat(40), at: '', outcome: 'planned', changes: [1, 2, 3, 4, 5].map((i) => change(i, big)) });
    expect(check.output.text!.length).toBeLessThanOrEqual(outputLimits.text);
    expect(check.output.text).toContain('_2 more diffs not shown');
    expect(check.output.annotations).toHaveLength(5);
    expect(check.output.annotations!.map((a) => [a.path, a.startLine])).toEqual([1, 2, 3, 4, 5].map((i) => [`deploy/c${i}.yaml`, i]));
  });

  it('annotates each problem of a failed preview on its file and line', () => {
    const check = previewCheck('shop', { sha: 'b'.repeat(40), at: '', outcome: 'failed', message: 'plan failed for 1 object', problems: [{ subject: 'ConfigMap/kube-system/o', file: 'deploy/o.yaml', line: 4, message: 'namespace kube-system is not allowed' }] });
    expect(check).toMatchObject({ status: 'completed', conclusion: 'failure', output: { title: 'would fail: plan failed for 1 object' } });
    expect(check.output.annotations).toEqual([{ path: 'deploy/o.yaml', startLine: 4, endLine: 4, level: 'failure', title: 'ConfigMap/kube-system/o', message: 'namespace kube-system is not allowed' }]);
  });
});
