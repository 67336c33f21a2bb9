import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { startWorkers } from '../../src/services.js';
import { LogCapture } from '../helpers/driftless.js';
import { pinnedHelm } from '../helpers/helm.js';

// Issue 16 item 6: a worker that will render charts checks helm when it starts, and a missing
// (or too old) helm is a start-up error that names the version needed, not a failed sync later.
const config = (prefix: string) =>
  parseConfig(
    `providers: { github: { webhookSecret: s } }\nclusters: { c: { kubeconfig: "${process.env.KUBECONFIG}" } }\ntargets: [{ name: chart, repo: "github:acme/shop", cloneUrl: "http://127.0.0.1:1/x.git", cluster: c, namespace: shop, path: chart, render: helm }]\nredis: { url: "${process.env.REDIS_URL}", prefix: ${prefix} }\n`,
    'helm.yaml',
    {},
  );

describe('helm at worker start-up', () => {
  let helm: string;
  const before = process.env.HELM;
  beforeAll(async () => {
    helm = await pinnedHelm();
  });
  afterAll(() => {
    process.env.HELM = before;
  });

  it('refuses to start without a helm it can run, naming the version needed', async () => {
    process.env.HELM = '/nonexistent/helm';
    await expect(startWorkers(config(`helmstart-${Date.now()}`), createLogger({ level: 'silent', destination: new LogCapture() }))).rejects.toThrow(/cannot run helm \(\/nonexistent\/helm: ENOENT\): rendering charts needs Helm/);
  });

  it('starts with the pinned helm and says which it found', async () => {
    process.env.HELM = helm;
    const logs = new LogCapture();
    const workers = await startWorkers(config(`helmstart-${Date.now()}`), createLogger({ level: 'info', destination: logs }));
    await workers.close();
    expect(logs.text).toMatch(/"helm":"v3\.\d+\.\d+".*helm found/);
  });
});
