import { describe, expect, it } from 'vitest';
import { chooseRevision } from '../../src/queue/revision-choice.js';
import type { PendingRevision } from '../../src/store/revisions.js';

// a linear history a ← b ← c ← d, and x diverging from a (a force push)
const parents: Record<string, string | undefined> = { a: undefined, b: 'a', c: 'b', d: 'c', x: 'a' };
const isAncestor = async (anc: string, desc: string) => {
  for (let at: string | undefined = desc; at; at = parents[at]) if (at === anc) return true;
  return false;
};
const pending = (sha: string, receivedAt: number): PendingRevision => ({ sha, receivedAt, trigger: { kind: 'push', deliveryId: sha, actor: 'dev' } });
const shas = (list: PendingRevision[]) => list.map((p) => p.sha).sort();

describe('chooseRevision (newest wins)', () => {
  it.each([
    { name: 'one pending revision', input: [pending('b', 1)], deployed: 'a', deploy: 'b', superseded: [] },
    { name: 'a burst deploys the tip', input: [pending('b', 1), pending('c', 2), pending('d', 3)], deployed: 'a', deploy: 'd', superseded: ['b', 'c'] },
    { name: 'deliveries out of order still deploy the tip', input: [pending('d', 1), pending('b', 2), pending('c', 3)], deployed: 'a', deploy: 'd', superseded: ['b', 'c'] },
    { name: 'diverged history deploys the last received', input: [pending('d', 1), pending('x', 2)], deployed: 'a', deploy: 'x', superseded: ['d'] },
    { name: 'no deploy yet', input: [pending('c', 1)], deployed: undefined, deploy: 'c', superseded: [] },
    { name: 'redeploying the deployed revision is allowed', input: [pending('c', 1)], deployed: 'c', deploy: 'c', superseded: [] },
  ])('$name', async ({ input, deployed, deploy, superseded }) => {
    const choice = await chooseRevision(input, deployed, isAncestor);
    expect(choice.deploy?.sha).toBe(deploy);
    expect(shas(choice.superseded)).toEqual(superseded);
  });

  it('never deploys an ancestor of what is deployed', async () => {
    const choice = await chooseRevision([pending('b', 1), pending('c', 2)], 'd', isAncestor);
    expect(choice.deploy).toBeUndefined();
    expect(shas(choice.superseded)).toEqual(['b', 'c']);
    expect(choice).toMatchObject({ reason: 'older than the deployed d' });
  });

  it('has nothing to do without pending revisions', async () => {
    expect(await chooseRevision([], 'a', isAncestor)).toEqual({ deploy: undefined, superseded: [], reason: 'nothing pending' });
  });
});
