import { mkdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getObject } from '../../src/kube/objects.js';
import { DriftlessHarness } from '../helpers/driftless.js';
import { testKube } from '../helpers/kube.js';

// A plain target checks out only its own folder (src/sync/render/scope.ts), unless a symbolic
// link in it may lead elsewhere in the repository: then the whole tree, so the link resolves as
// it always did, and a push that changes only the file it names deploys the target.

const { client, discovery } = testKube();
const config = (name: string, color: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  color: ${color}\n`;

describe('a plain target whose folder links to a file elsewhere in the repository', () => {
  let h: DriftlessHarness;
  let namespace: string;
  beforeAll(async () => {
    ({ h, namespace } = await DriftlessHarness.startInNewNamespace('scope'));
  });
  afterAll(async () => {
    await h?.close();
    client.close();
  });

  const color = async (name: string) => ((await getObject(client, (await discovery.resourceFor('v1', 'ConfigMap'))!, namespace, name))?.data as Record<string, string> | undefined)?.color;
  const terminal = (sha: string) => h.statuses(sha).find((s) => s.state !== 'pending');

  it('deploys the linked file with its own ones, and a push that changes only the linked file', async () => {
    await mkdir(path.join(h.repo.dir, 'deploy'), { recursive: true });
    await symlink('../shared/common.yaml', path.join(h.repo.dir, 'deploy', 'common.yaml'));
    const first = await h.commitAndPush('own and linked', { 'deploy/own.yaml': config('own', 'blue'), 'shared/common.yaml': config('common', 'blue') });
    expect(first.res.status).toBe(202);
    await expect.poll(() => terminal(first.sha)?.state, { timeout: 30_000 }).toBe('success');
    expect([await color('own'), await color('common')]).toEqual(['blue', 'blue']);

    // GitHub lists only shared/common.yaml: the render read it through the link, so the push is the target's
    const change = await h.commitAndPush('only the linked file changes', { 'shared/common.yaml': config('common', 'green') });
    expect(change.res).toEqual({ status: 202, body: { result: 'queued', targets: [namespace] } });
    await expect.poll(() => terminal(change.sha)?.state, { timeout: 30_000 }).toBe('success');
    expect([await color('own'), await color('common')]).toEqual(['blue', 'green']);
  });
});
