import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { startWorkers } from '../../src/services.js';
import { DriftlessHarness, pullRequestPayload } from '../helpers/driftless.js';
import { createNamespace, testKube, uniqueName } from '../helpers/kube.js';
import { cm } from '../helpers/manifests.js';

/** Debian's chromium (scripts/browser installs it); playwright-core downloads none. */
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
/** As the machine's probe starts it: without background networking, nothing reaches for Google's hosts. */
const args = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const root = path.resolve(import.meta.dirname, '../..');
/** Screenshots land in .testenv/screenshots; with UPDATE_SCREENSHOTS=1, also in docs/ for the README. */
const shotDirs = [path.join(root, '.testenv/screenshots'), ...(process.env.UPDATE_SCREENSHOTS ? [path.join(root, 'docs')] : [])];

async function screenshot(page: Page, name: string): Promise<void> {
  for (const dir of shotDirs) {
    await mkdir(dir, { recursive: true });
    await page.screenshot({ path: path.join(dir, name), fullPage: true });
  }
}

// The browser's globals that the functions run in the page use (the project compiles without the DOM library).
declare const window: { seen: string[]; sseOpen?: boolean; innerWidth: number };
declare const document: {
  addEventListener(type: string, listener: () => void): void;
  getElementById(id: string): { dataset: Record<string, string | undefined>; querySelector(selector: string): { textContent: string | null } | null } | null;
  body: unknown;
  documentElement: { scrollWidth: number };
};
declare const MutationObserver: new (callback: () => void) => { observe(target: unknown, options: Record<string, boolean>): void };

/** Records, in the page, every state the target's summary shows and every stage line, as SSE swaps them in. */
function watchSummary(page: Page, target: string): Promise<void> {
  return page.evaluate((id) => {
    const w = window;
    w.seen = [];
    const note = () => {
      const el = document.getElementById(id);
      const entry = `${el?.dataset.state ?? '?'}|${el?.querySelector('.stage')?.textContent ?? ''}`;
      if (w.seen[w.seen.length - 1] !== entry) w.seen.push(entry);
    };
    new MutationObserver(note).observe(document.body, { subtree: true, childList: true });
    note();
  }, `summary-${target}`);
}

const seen = (page: Page) => page.evaluate(() => window.seen);

describe('the dashboard in a real browser (Debian chromium, playwright-core)', () => {
  let h: DriftlessHarness;
  let target: string;
  let browser: Browser;
  const client = { clientId: `Iv1.${randomBytes(8).toString('hex')}`, clientSecret: randomBytes(20).toString('hex') };

  beforeAll(async () => {
    target = uniqueName('ui');
    const { client: kube } = testKube();
    try {
      await createNamespace(kube, target);
    } finally {
      kube.close();
    }
    h = await DriftlessHarness.start({
      namespace: target,
      // the workers start once the page watches, so the push is seen waiting, then deploying
      workers: false,
      extraYaml: (x) => `dashboard: { github: { clientId: ${client.clientId}, clientSecret: "${client.clientSecret}", url: "${x.github.url}" }, publicBadges: [${target}] }`,
    });
    h.github.oauth.register(client);
    h.github.oauth.signedIn = 'mona';
    h.github.setPermission(h.repoName, 'mona', 'write');
    browser = await chromium.launch({ executablePath, args });
  });
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it('signs in through GitHub, watches a push go through its stages live, opens a diff, syncs, is refused a rollback, and shows the badge', async () => {
    const context = await browser.newContext({ viewport: { width: 1180, height: 760 } });
    const page = await context.newPage();
    // htmx's SSE extension says when a page's event stream is open
    await page.addInitScript(() => document.addEventListener('htmx:sseOpen', () => (window.sseOpen = true)));

    // sign in: the fleet sends to the sign-in page, GitHub's authorize page comes back signed in
    await page.goto(`${h.url}/ui`);
    await page.getByRole('link', { name: 'Sign in with GitHub' }).click();
    await page.waitForURL(`${h.url}/ui`);
    await expect.poll(() => page.locator('header .who').textContent()).toContain('mona');
    await expect.poll(() => page.locator(`#row-${target}`).getAttribute('data-state')).toBe('never deployed');

    // a push, watched from the target's page: queued while no worker runs, then deployed, no reload
    await page.getByRole('link', { name: target }).click();
    await page.waitForURL(`${h.url}/ui/targets/${target}`);
    await page.waitForFunction(() => window.sseOpen === true);
    await watchSummary(page, target);
    const first = await h.commitAndPush('first', { 'deploy/app.yaml': cm('app', '1') });
    expect(first.res.status).toBe(202);
    await expect.poll(() => page.locator(`#summary-${target}`).getAttribute('data-state'), { timeout: 10_000 }).toBe('deploying');
    expect(await page.locator(`#summary-${target} .stage`).textContent()).toBe(`${first.sha.slice(0, 7)}: queued`);
    const workers = await startWorkers(h.config, createLogger({ level: 'silent' }));
    try {
      await expect.poll(() => page.locator(`#summary-${target}`).getAttribute('data-state'), { timeout: 30_000 }).toBe('in sync');
      await expect.poll(() => page.locator(`#timeline-${target} tr.sync`).count(), { timeout: 10_000 }).toBe(1);
      const states = await seen(page);
      expect(states[0]).toBe('never deployed|');
      expect(states).toContain(`deploying|${first.sha.slice(0, 7)}: queued`);
      expect(states.at(-1)).toBe('in sync|');

      // a second deploy, so there is an earlier healthy revision to roll back to
      const second = await h.commitAndPush('second', { 'deploy/app.yaml': cm('app', '2'), 'deploy/extra.yaml': cm('extra', 'x') });
      await expect.poll(() => page.locator(`#timeline-${target} tr.sync`).count(), { timeout: 30_000 }).toBe(2);
      expect(await page.locator(`#timeline-${target} tr.sync`).first().textContent()).toContain('1 created, 1 configured');

      // a pull request's preview, and its diff
      await h.repo.branch('feature');
      await h.repo.checkout('feature');
      const head = await h.repo.commit('change app', { 'deploy/app.yaml': cm('app', '3') });
      h.github.setPull(h.repoName, { number: 12, user: 'dev', head: { ref: 'feature', sha: head }, base: { ref: 'main' } });
      await h.push(pullRequestPayload({ repo: h.repoName, number: 12, action: 'opened', headRef: 'feature', headSha: head }), { event: 'pull_request' });
      await expect.poll(async () => (await page.reload(), page.locator('#preview-12').count()), { timeout: 30_000 }).toBe(1);
      // the target's objects, as the cluster has them now
      expect(await page.locator('table.objects tbody tr').allTextContents()).toEqual([`ConfigMap/${target}/appHealthyapplied`, `ConfigMap/${target}/extraHealthyapplied`]);
      await page.locator('#preview-12 summary', { hasText: `ConfigMap/${target}/app` }).click();
      const diff = page.locator('#preview-12 pre.diff');
      await expect.poll(() => diff.isVisible()).toBe(true);
      expect(await diff.textContent()).toContain("\n-  value: '2'\n+  value: '3'\n");
      await screenshot(page, 'dashboard-target.png');

      // a sync: mona has write
      await page.getByRole('button', { name: 'Sync main' }).click();
      await expect.poll(() => page.getByRole('status').textContent()).toBe('sync: mona asked for a sync of main');
      // a rollback to the first deploy: it needs maintain
      await page.locator('select[name=revision]').selectOption(first.sha);
      await page.getByRole('button', { name: 'Roll back' }).click();
      await expect.poll(() => page.getByRole('status').textContent()).toBe(`rollback: /rollback on ${target} needs maintain permission; @mona has write`);
      expect(await page.locator(`#timeline-${target} tr.action`).first().textContent()).toContain('refused');
      expect((await h.history(target)).map((e) => e.revision)).not.toContain(undefined);

      // the fleet, on a phone too
      await page.goto(`${h.url}/ui`);
      await expect.poll(() => page.locator(`#row-${target}`).getAttribute('data-state'), { timeout: 30_000 }).toBe('in sync');
      await screenshot(page, 'dashboard-fleet.png');
      const phone = await browser.newContext({ viewport: { width: 390, height: 760 }, storageState: await context.storageState() });
      const small = await phone.newPage();
      await small.goto(`${h.url}/ui`);
      expect(await small.locator(`#row-${target} td[data-label=Sync]`).isVisible()).toBe(true);
      expect(await small.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      await screenshot(small, 'dashboard-phone.png');
      await phone.close();

      // the badge: public for this target, without a session
      const anonymous = await browser.newContext();
      const badge = await (await anonymous.newPage()).goto(`${h.url}/badge/${target}.svg`);
      expect(badge?.status()).toBe(200);
      expect(await badge?.text()).toContain(`aria-label="${target}: in sync · Healthy"`);
      await anonymous.close();

      // nothing secret reached the browser
      const html = await page.content();
      for (const secret of [h.githubToken, h.secret, h.apiToken, client.clientSecret]) expect(html).not.toContain(secret);
      expect(second.res.status).toBe(202);
    } finally {
      await context.close();
      await workers.close();
    }
  });
});
