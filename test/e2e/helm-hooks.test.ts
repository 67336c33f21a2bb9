import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getObject } from '../../src/kube/objects.js';
import { applySetKeys } from '../../src/sync/inventory.js';
import { DriftlessHarness } from '../helpers/driftless.js';
import { chartYaml, pinnedHelm } from '../helpers/helm.js';
import { testKube, withControllers } from '../helpers/kube.js';

// Helm hooks on the real API server with its controllers (kube-controller-manager, scheduler,
// kwok completing pods): a pre-install Job must complete before the chart's objects change, a
// post-install Job runs once they are healthy, hooks stay out of the inventory, and a failing
// hook fails the sync; when the main set had changed, the last healthy revision comes back.

const { client, discovery } = testKube();

beforeAll(async () => {
  await pinnedHelm();
  await withControllers();
}, 30 * 60_000);
afterAll(() => client.close());

/** A hook Job; pods labelled `driftless.dev/kwok-pod: fail` fail under kwok. */
const hookJob = (name: string, event: string, options: { weight?: number; deletePolicy?: string; fail?: string } = {}) =>
  [
    'apiVersion: batch/v1',
    'kind: Job',
    'metadata:',
    `  name: ${name}`,
    '  annotations:',
    `    helm.sh/hook: ${event}`,
    ...(options.weight === undefined ? [] : [`    helm.sh/hook-weight: "${options.weight}"`]),
    ...(options.deletePolicy ? [`    helm.sh/hook-delete-policy: ${options.deletePolicy}`] : []),
    'spec:',
    '  backoffLimit: 0',
    '  template:',
    ...(options.fail ? ['    metadata:', '      labels:', `        {{- if ${options.fail} }}`, '        driftless.dev/kwok-pod: fail', '        {{- end }}', '        job: hook'] : []),
    '    spec:',
    '      restartPolicy: Never',
    '      containers: [{ name: task, image: "registry.example/migrate:{{ .Values.version }}" }]',
    '',
  ].join('\n');

const chart = (version: string, extra: Record<string, string> = {}) => ({
  'deploy/Chart.yaml': chartYaml('app'),
  'deploy/values.yaml': `version: "${version}"\nfailPre: false\nfailPost: false\n`,
  'deploy/templates/config.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  version: {{ .Values.version | quote }}\n',
  'deploy/templates/migrate.yaml': hookJob('migrate', 'pre-install,pre-upgrade', { weight: -1, fail: '.Values.failPre' }),
  'deploy/templates/smoke.yaml': hookJob('smoke', 'post-install,post-upgrade', { deletePolicy: 'before-hook-creation,hook-succeeded', fail: '.Values.failPost' }),
  'deploy/templates/test.yaml': hookJob('chart-test', 'test'),
  ...extra,
});

describe('helm hooks (Argo CD mapping)', () => {
  let h: DriftlessHarness;
  let namespace: string;
  beforeAll(async () => {
    ({ h, namespace } = await DriftlessHarness.startInNewNamespace('hooks', { targetYaml: '    render: helm\n    wait: { timeout: 60s }\n    rollback: onFailure' }));
  });
  afterAll(() => h?.close());

  const terminal = (sha: string) => h.statuses(sha).find((s) => s.state !== 'pending' && s.context === `driftless/${namespace}`);
  const job = async (name: string) => getObject(client, (await discovery.resourceFor('batch/v1', 'Job'))!, namespace, name);
  const config = async () => ((await getObject(client, (await discovery.resourceFor('v1', 'ConfigMap'))!, namespace, 'app'))?.data as { version?: string } | undefined)?.version;

  it('runs pre-install before the objects and post-install after they are healthy, keeps hooks out of the inventory, and fails and rolls back on a failing hook', async () => {
    const first = await h.commitAndPush('v1', chart('1'));
    await expect.poll(() => terminal(first.sha)?.state, { timeout: 90_000, interval: 500 }).toBe('success');
    const migrate = await job('migrate');
    expect((migrate?.status as { succeeded?: number }).succeeded).toBe(1);
    expect(migrate?.metadata.labels?.[applySetKeys.partOf]).toBeUndefined();
    // hook-succeeded: gone once it completed; test hooks are never rendered
    await expect.poll(() => job('smoke'), { timeout: 10_000 }).toBeUndefined();
    expect(await job('chart-test')).toBeUndefined();
    expect(await config()).toBe('1');
    const [entry] = await h.history(namespace);
    expect(entry?.summary).toMatchObject({ created: 3 });

    // an upgrade: the pre-upgrade Job is created anew (before-hook-creation, Helm's default)
    const second = await h.commitAndPush('v2', chart('2'));
    await expect.poll(() => terminal(second.sha)?.state, { timeout: 90_000, interval: 500 }).toBe('success');
    const migrated = await job('migrate');
    expect(migrated?.metadata.uid).not.toBe(migrate?.metadata.uid);
    expect(await config()).toBe('2');

    // a failing pre-upgrade hook stops the sync before the objects change
    const preFails = await h.commitAndPush('v3, migration fails', chart('3', { 'deploy/values.yaml': 'version: "3"\nfailPre: true\nfailPost: false\n' }));
    await expect.poll(() => terminal(preFails.sha)?.state, { timeout: 90_000, interval: 500 }).toBe('failure');
    expect(terminal(preFails.sha)?.description).toMatch(/^apply failed for 1 object: - Job\/.*\/migrate \(deploy\/templates\/migrate\.yaml\): PreSync hook \(pre-install, pre-upgrade\) failed/);
    expect((await h.history(namespace))[0]?.message).toMatch(/PreSync hook \(pre-install, pre-upgrade\) failed: Degraded: /);
    expect(await config()).toBe('2');

    // a failing post-upgrade hook fails the sync after the objects changed: the last healthy revision comes back
    const postFails = await h.commitAndPush('v4, smoke test fails', chart('4', { 'deploy/values.yaml': 'version: "4"\nfailPre: false\nfailPost: true\n' }));
    await expect.poll(() => terminal(postFails.sha)?.state, { timeout: 120_000, interval: 500 }).toBe('failure');
    expect(terminal(postFails.sha)?.description).toMatch(new RegExp(`^rolled back to ${second.sha.slice(0, 7)}: wait failed for 1 object: - Job/${namespace}/smoke \\(deploy/templates/smoke\\.yaml\\)`));
    expect(await config()).toBe('2');
    const history = await h.history(namespace);
    expect(history.slice(0, 2).map((e) => [e.revision, e.result, e.trigger.kind])).toEqual([
      [second.sha, 'succeeded', 'rollback'],
      [postFails.sha, 'failed', 'push'],
    ]);
    expect(history[1]?.message).toMatch(/PostSync hook \(post-install, post-upgrade\) failed: Degraded: /);
  }, 400_000);
});
