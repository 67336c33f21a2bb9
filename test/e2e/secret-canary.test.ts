import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commentMarker } from '../../src/report/comment.js';
import { DriftlessHarness, pullRequestPayload, pushPayload } from '../helpers/driftless.js';
import { createNamespace, testKube, uniqueName } from '../helpers/kube.js';
import { cm } from '../helpers/manifests.js';
import { runProcess } from '../helpers/process.js';
import { Receiver } from '../helpers/receiver.js';

const { client } = testKube();
const kubectl = (args: string[], input?: string) => runProcess(process.env.KUBECTL ?? 'kubectl', ['--kubeconfig', process.env.KUBECONFIG!, ...args], { input });

// Secret values never leave the cluster. Canaries are planted in every place a value can hide:
// `data`, `stringData`, the last-applied annotation of a Secret first created with client-side
// `kubectl apply`, another annotation that embeds a value, and a value changed by hand in the
// cluster (drift). A pull request that only adds a label to the Secret is previewed, merged and
// deployed; the drift is healed and notified. Then every channel Driftless writes to is searched
// for every canary, as written, base64 and JSON-escaped.
describe('Secret values in no output channel', () => {
  const canary = (what: string) => `canary-${what}-${randomBytes(6).toString('hex')}`;
  const inData = canary('data');
  const inStringData = canary('stringdata');
  const byHand = canary('drift');
  const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
  const forms = (text: string) => [text, b64(text), JSON.stringify(text).slice(1, -1)];
  const PR = 31;
  let h: DriftlessHarness;
  let receiver: Receiver;
  let namespace: string;

  const secretYaml = (labels = '') => `apiVersion: v1
kind: Secret
metadata:
  name: db
  annotations:
    example.com/dsn: "postgres://app:${inStringData}@db:5432/shop"
${labels}type: Opaque
data:
  token: ${b64(inData)}
stringData:
  password: ${inStringData}
`;

  beforeAll(async () => {
    namespace = uniqueName('canary');
    await createNamespace(client, namespace);
    receiver = await Receiver.start();
    h = await DriftlessHarness.start({
      namespace,
      targetYaml: '    reconcile: { interval: 2s, drift: heal }',
      extraYaml: `notifications:\n  - { type: webhook, url: "${receiver.url('/driftless')}", secret: "notify-${randomBytes(8).toString('hex')}" }`,
    });
  });
  afterAll(async () => {
    await h?.close();
    await receiver?.close();
    client.close();
  });

  /** Every value under the harness's Redis prefix: history, previews, job data and results, revisions. */
  async function redisDump(): Promise<string> {
    const redis = new Redis(process.env.REDIS_URL!);
    try {
      const out: string[] = [];
      for await (const keys of redis.scanStream({ match: `${h.config.redis.prefix}*`, count: 500 }) as AsyncIterable<string[]>) {
        for (const key of keys) {
          const type = await redis.type(key);
          const value =
            type === 'string' ? await redis.get(key)
            : type === 'list' ? await redis.lrange(key, 0, -1)
            : type === 'hash' ? await redis.hgetall(key)
            : type === 'set' ? await redis.smembers(key)
            : type === 'zset' ? await redis.zrange(key, '0', '-1')
            : type === 'stream' ? await redis.xrange(key, '-', '+')
            : null;
          out.push(`${key} ${JSON.stringify(value)}`);
        }
      }
      return out.join('\n');
    } finally {
      await redis.quit();
    }
  }

  it('previews, deploys and heals a kubectl-applied Secret without a value in any comment, status, history entry, notification or log line', async () => {
    const base = await h.commitAndPush('base', { 'deploy/a.yaml': cm('a', '1') });
    await expect.poll(() => h.statuses(base.sha).find((s) => s.state === 'success'), { timeout: 30_000 }).toBeTruthy();

    // the Secret as someone created it by hand: client-side apply records its plaintext
    const applied = await kubectl(['apply', '-n', namespace, '-f', '-'], secretYaml());
    expect(applied.code, applied.stderr).toBe(0);
    const annotation = await kubectl(['get', 'secret', 'db', '-n', namespace, '-o', 'jsonpath={.metadata.annotations.kubectl\\.kubernetes\\.io/last-applied-configuration}']);
    expect(annotation.stdout).toContain(inStringData);

    // a pull request that only adds a label to it
    await h.repo.branch('label');
    await h.repo.checkout('label');
    const head = await h.repo.commit('label the secret', { 'deploy/db.yaml': secretYaml('  labels:\n    team: shop\n') });
    h.github.setPull(h.repoName, { number: PR, user: 'dev', head: { ref: 'label', sha: head }, base: { ref: 'main' } });
    expect((await h.push(pullRequestPayload({ repo: h.repoName, number: PR, action: 'opened', headRef: 'label', headSha: head }), { event: 'pull_request' })).status).toBe(202);
    const comment = () => h.github.comments(h.repoName, PR).find((c) => c.body.includes(commentMarker))?.body ?? '';
    await expect.poll(comment, { timeout: 30_000 }).toContain(`Secret/${namespace}/db`);
    // the channel carried the diff: the label, and the annotation the takeover drops, masked
    expect(comment()).toContain('team: shop');
    expect(comment()).toContain('kubectl.kubernetes.io/last-applied-configuration');

    // merged and deployed
    await h.repo.checkout('main');
    await h.repo.git(['merge', '--no-ff', '-m', `Merge pull request #${PR}`, 'label']);
    const merge = await h.repo.head();
    await h.push(pullRequestPayload({ repo: h.repoName, number: PR, action: 'closed', headRef: 'label', headSha: head, merged: true, mergeCommitSha: merge }), { event: 'pull_request' });
    await h.push(pushPayload({ repo: h.repoName, cloneUrl: 'x', before: base.sha, after: merge, paths: ['deploy/db.yaml'] }));
    await expect.poll(() => h.statuses(merge).find((s) => s.state === 'success' || s.state === 'failure')?.state, { timeout: 30_000 }).toBe('success');
    const labels = await kubectl(['get', 'secret', 'db', '-n', namespace, '-o', 'jsonpath={.metadata.labels.team}']);
    expect(labels.stdout).toBe('shop');

    // someone changes the value in the cluster: drift, healed and notified
    const patched = await kubectl(['patch', 'secret', 'db', '-n', namespace, '--type', 'merge', '-p', JSON.stringify({ data: { token: b64(byHand) } })]);
    expect(patched.code, patched.stderr).toBe(0);
    await expect.poll(() => receiver.requests.some((r) => r.headers['x-driftless-event'] === 'drift'), { timeout: 30_000 }).toBe(true);
    await expect.poll(async () => (await kubectl(['get', 'secret', 'db', '-n', namespace, '-o', 'jsonpath={.data.token}'])).stdout, { timeout: 30_000 }).toBe(b64(inData));
    expect((await h.history(namespace)).map((e) => e.result)).toContain('healed');

    // every channel, searched for every canary in every form
    const channels: Record<string, string> = {
      'GitHub requests (comments, statuses, deployments, reactions)': JSON.stringify(h.github.requests.map((r) => [r.method, r.path, r.query, r.body])),
      Redis: await redisDump(),
      notifications: JSON.stringify(receiver.requests),
      logs: h.logs.text,
    };
    for (const [channel, text] of Object.entries(channels)) {
      expect(text.length, channel).toBeGreaterThan(0);
      for (const value of [inData, inStringData, byHand]) {
        for (const form of forms(value)) expect(text.includes(form), `${channel} holds ${form}`).toBe(false);
      }
    }
  });
});
