import { createHash, randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { createLogger } from '../../src/log.js';
import { startWeb, type Service } from '../../src/services.js';
import { LogCapture } from '../helpers/driftless.js';
import { GitHubStandIn } from '../helpers/github-standin.js';
import { GitLabStandIn } from '../helpers/gitlab-standin.js';
import { browse, CookieJar, signIn } from './signin.js';

const hex = (n: number) => randomBytes(n).toString('hex');

/** The dashboard over HTTP, as a browser without JavaScript uses it: sign-in through the stand-ins' OAuth pages, pages, forms, badges. */
describe('dashboard: sign-in, pages, actions and badges', () => {
  let github: GitHubStandIn;
  let gitlab: GitLabStandIn;
  let web: Service & { server: Server };
  let url: string;
  let config: Config;
  const secrets = { bot: hex(12), webhook: hex(12), token: hex(24) };
  let clients: { github: { clientId: string; clientSecret: string }; gitlab: { clientId: string; clientSecret: string } };

  beforeAll(async () => {
    github = await GitHubStandIn.start({ token: secrets.bot });
    gitlab = await GitLabStandIn.start({ token: secrets.bot });
    clients = { github: github.oauth.register(), gitlab: gitlab.oauth.register() };
    github.setPermission('acme/shop', 'mona', 'write');
    github.setPermission('acme/blog', 'mona', 'none');
    github.setPermission('acme/shop', 'octo', 'maintain');
    gitlab.setAccess('acme/platform/api', 'gabe', 30);
    config = parseConfig(
      `providers:\n  github: { webhookSecret: "${secrets.webhook}", token: "${secrets.bot}", apiUrl: "${github.url}" }\n  gitlab: { webhookToken: "${secrets.webhook}", token: "${secrets.bot}", url: "${gitlab.url}" }\n` +
        `clusters: { c: { kubeconfig: /dev/null }, d: { kubeconfig: /dev/null } }\n` +
        `targets:\n  - { name: shop, repo: "github:acme/shop", cluster: c, namespace: shop }\n  - { name: blog, repo: "github:acme/blog", cluster: c, namespace: blog }\n  - { name: api, repo: "gitlab:acme/platform/api", cluster: d, namespace: api }\n` +
        `server: { port: 0, apiTokens: [{ name: ci, sha256: ${createHash('sha256').update(secrets.token).digest('hex')} }] }\n` +
        `redis: { url: "${process.env.REDIS_URL}", prefix: "dl-ui-${hex(4)}" }\n` +
        `dashboard:\n  github: { clientId: ${clients.github.clientId}, clientSecret: "${clients.github.clientSecret}", url: "${github.url}" }\n  gitlab: { clientId: ${clients.gitlab.clientId}, clientSecret: "${clients.gitlab.clientSecret}" }\n  publicBadges: [shop]\n`,
      'ui.yaml',
      {},
    );
    web = await startWeb(config, 'ui.yaml', createLogger({ level: 'silent', destination: new LogCapture() }));
    url = `http://127.0.0.1:${(web.server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await web?.close();
    await github?.close();
    await gitlab?.close();
  });

  const noSecrets = (text: string) => {
    for (const s of [secrets.bot, secrets.webhook, secrets.token, clients.github.clientSecret, clients.gitlab.clientSecret]) expect(text).not.toContain(s);
  };

  it('sends a visitor to the sign-in page, and back where they were once GitHub signed them in', async () => {
    const jar = new CookieJar();
    const first = await browse(jar, `${url}/ui/targets/shop`);
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe('/ui/login?returnTo=%2Fui%2Ftargets%2Fshop');
    const login = await (await browse(jar, `${url}${first.headers.get('location')}`)).text();
    expect(login).toContain('Sign in with GitHub');
    expect(login).toContain('Sign in with GitLab');
    github.oauth.signedIn = 'mona';
    const back = await signIn(jar, url, 'github', '/ui/targets/shop');
    expect(back.status).toBe(303);
    expect(back.headers.get('location')).toBe('/ui/targets/shop');
    expect(back.headers.getSetCookie().join('\n')).toMatch(/driftless_session=[\w-]{43}; Max-Age=43200; Path=\/; Expires=.*; HttpOnly; SameSite=Lax/);
    const page = await browse(jar, `${url}/ui/targets/shop`);
    expect(page.status).toBe(200);
    const text = await page.text();
    expect(text).toContain('<h1>shop</h1>');
    // this config's cluster is /dev/null: the page says so and shows the rest
    expect(text).toMatch(/<h2>Objects<\/h2><p class="muted">the cluster did not answer: /);
    expect(text).toContain('mona');
    noSecrets(text);
    // the person's OAuth token was used for GET /user only; permissions come from the bot's call
    expect(github.find('GET', /^\/user$/)).toHaveLength(1);
    expect(github.find('GET', /collaborators\/mona\/permission$/).every((r) => r.headers.authorization === `token ${secrets.bot}`)).toBe(true);
  });

  it('shows each person the targets of repositories they may read, filtered by cluster, repository and state', async () => {
    const jar = new CookieJar();
    github.oauth.signedIn = 'mona';
    await signIn(jar, url, 'github');
    const fleet = await (await browse(jar, `${url}/ui`)).text();
    expect(fleet).toContain('id="row-shop"');
    expect(fleet).not.toContain('id="row-blog"');
    expect(fleet).not.toContain('id="row-api"');
    expect((await browse(jar, `${url}/ui/targets/blog`)).status).toBe(404);
    expect(await (await browse(jar, `${url}/ui?state=failed`)).text()).not.toContain('id="row-shop"');
    expect(await (await browse(jar, `${url}/ui?cluster=c&state=never+deployed`)).text()).toContain('id="row-shop"');

    const lab = new CookieJar();
    gitlab.oauth.signedIn = 'gabe';
    expect((await signIn(lab, url, 'gitlab')).status).toBe(303);
    const theirs = await (await browse(lab, `${url}/ui`)).text();
    expect(theirs).toContain('id="row-api"');
    expect(theirs).not.toContain('id="row-shop"');
    expect(theirs).toContain('gabe');
  });

  it('refuses a callback this browser did not start, a replayed one, a denied one and a wrong client secret', async () => {
    github.oauth.signedIn = 'mona';
    const jar = new CookieJar();
    const start = await browse(jar, `${url}/ui/auth/github`);
    const callback = (await fetch(start.headers.get('location')!, { redirect: 'manual' })).headers.get('location')!;
    // another browser (no state cookie) arriving with the code: login CSRF
    const other = await browse(new CookieJar(), callback);
    expect(other.status).toBe(400);
    expect(await other.text()).toContain('was not started here');
    // the right browser, but the state was spent by nobody: still fine once; then a replay fails
    expect((await browse(jar, callback)).status).toBe(303);
    const replay = new CookieJar();
    replay.cookies.set('driftless_oauth', new URL(callback).searchParams.get('state')!);
    expect((await browse(replay, callback)).status).toBe(400);

    github.oauth.deny = true;
    try {
      const denied = await signIn(new CookieJar(), url, 'github');
      expect(denied.status).toBe(400);
      expect(await denied.text()).toContain('github did not sign you in: access_denied');
    } finally {
      github.oauth.deny = false;
    }
  });

  it('runs actions from forms only with the CSRF token, authorized like the comment commands, and says how they went', async () => {
    const jar = new CookieJar();
    github.oauth.signedIn = 'mona';
    await signIn(jar, url, 'github');
    const page = await (await browse(jar, `${url}/ui/targets/shop`)).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)![1]!;

    const forged = await browse(jar, `${url}/ui/targets/shop/sync`, { form: {} });
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('missing CSRF token');

    const sync = await browse(jar, `${url}/ui/targets/shop/sync`, { form: { _csrf: csrf } });
    expect(sync.status).toBe(303);
    expect(await (await browse(jar, `${url}/ui/targets/shop`)).text()).toContain('sync: mona asked for a sync of main');

    // mona has write; a rollback needs maintain
    await browse(jar, `${url}/ui/targets/shop/rollback`, { form: { _csrf: csrf, revision: 'abcdef1' } });
    const refused = await (await browse(jar, `${url}/ui/targets/shop`)).text();
    expect(refused).toContain('rollback: /rollback on shop needs maintain permission; @mona has write');

    const detail = (await (await fetch(`${url}/api/targets/shop`, { headers: { authorization: `Bearer ${secrets.token}` } })).json()) as { actions: { action: string; actor: string; result: string; via: string }[] };
    expect(detail.actions.map((a) => `${a.action} ${a.actor} ${a.result} ${a.via}`)).toEqual(['rollback mona refused dashboard', 'sync mona queued dashboard']);
  });

  it('locks for an open pull request into the branch and unlocks, for a maintainer', async () => {
    github.setPull('acme/shop', { number: 7, head: { ref: 'feature', sha: 'c'.repeat(40) }, base: { ref: 'main' } });
    github.setPull('acme/shop', { number: 8, head: { ref: 'other', sha: 'd'.repeat(40) }, base: { ref: 'release' } });
    const jar = new CookieJar();
    github.oauth.signedIn = 'octo';
    await signIn(jar, url, 'github');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await (await browse(jar, `${url}/ui/targets/shop`)).text())![1]!;
    await browse(jar, `${url}/ui/targets/shop/lock`, { form: { _csrf: csrf, pr: '99' } });
    expect(await (await browse(jar, `${url}/ui/targets/shop`)).text()).toContain('lock: acme/shop has no pull request 99');
    await browse(jar, `${url}/ui/targets/shop/lock`, { form: { _csrf: csrf, pr: '8' } });
    expect(await (await browse(jar, `${url}/ui/targets/shop`)).text()).toContain('this one is into `release`');
    await browse(jar, `${url}/ui/targets/shop/lock`, { form: { _csrf: csrf, pr: '7' } });
    const locked = await (await browse(jar, `${url}/ui/targets/shop`)).text();
    expect(locked).toContain('lock: octo locked shop for pull request 7');
    expect(locked).toContain(`locked by <a href="${github.url}/acme/shop/pull/7">#7</a> (octo)`);
    await browse(jar, `${url}/ui/targets/shop/unlock`, { form: { _csrf: csrf } });
    expect(await (await browse(jar, `${url}/ui/targets/shop`)).text()).toContain('unlock: octo unlocked shop');
  });

  it('signs out: the session is gone', async () => {
    const jar = new CookieJar();
    github.oauth.signedIn = 'mona';
    await signIn(jar, url, 'github');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await (await browse(jar, `${url}/ui`)).text())![1]!;
    const session = jar.cookies.get('driftless_session')!;
    expect((await browse(jar, `${url}/ui/logout`, { form: { _csrf: csrf } })).headers.get('location')).toBe('/ui/login');
    const stale = new CookieJar();
    stale.cookies.set('driftless_session', session);
    expect((await browse(stale, `${url}/ui`)).status).toBe(303);
  });

  it('serves badges of opted-in targets to anyone, and of others only to whom may see them', async () => {
    const open = await fetch(`${url}/badge/shop.svg`);
    expect(open.status).toBe(200);
    expect(open.headers.get('content-type')).toBe('image/svg+xml; charset=utf-8');
    expect(await open.text()).toMatch(/^<svg[^>]*aria-label="shop: never deployed"/);
    expect((await fetch(`${url}/badge/blog.svg`)).status).toBe(404);
    expect((await fetch(`${url}/badge/nope.svg`)).status).toBe(404);
    expect((await fetch(`${url}/badge/blog.svg`, { headers: { authorization: `Bearer ${secrets.token}` } })).status).toBe(200);
  });
});
