import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createRequire } from 'node:module';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { Redis } from 'ioredis';
import { createLogger } from '../../src/log.js';
import { HistoryStore, type HistoryEntry } from '../../src/store/history.js';
import { keys } from '../../src/store/keys.js';
import { startWeb, startWorkers, type Service } from '../../src/services.js';
import { Metrics } from '../../src/metrics.js';
import { testAppKey } from './github-app.js';
import { GitHubStandIn } from './github-standin.js';
import { GitLabStandIn } from './gitlab-standin.js';
import { GitHttpServer, TestRepo } from './git.js';
import { createNamespace, testKube, uniqueName } from './kube.js';

const require = createRequire(import.meta.url);

/** The first push example GitHub documents, from @octokit/webhooks-examples. */
export function pushExample(): Record<string, unknown> {
  const examples = require('@octokit/webhooks-examples') as { name: string; examples: Record<string, unknown>[] }[];
  const push = examples.find((e) => e.name === 'push')!.examples[0]!;
  return structuredClone(push);
}

/** The example payload adjusted to a repository, branch and commits. */
export function pushPayload(input: { repo: string; cloneUrl: string; ref?: string; before?: string; after: string; paths?: string[]; deleted?: boolean; sender?: string }): string {
  const p = pushExample() as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  p.ref = input.ref ?? 'refs/heads/main';
  p.before = input.before ?? '0'.repeat(40);
  p.after = input.after;
  p.deleted = input.deleted ?? false;
  p.created = p.before === '0'.repeat(40);
  p.commits = input.deleted ? [] : [{ id: input.after, message: 'change', added: [], removed: [], modified: input.paths ?? ['deploy/app.yaml'] }];
  p.head_commit = input.deleted ? null : p.commits[0];
  p.repository = { ...p.repository, full_name: input.repo, name: input.repo.split('/')[1], clone_url: input.cloneUrl };
  p.sender = { ...p.sender, login: input.sender ?? 'octocat' };
  return JSON.stringify(p);
}

/** The example of a pull_request event from @octokit/webhooks-examples, adjusted. */
export function pullRequestPayload(input: { repo: string; number: number; action: 'opened' | 'synchronize' | 'closed'; headRef: string; headSha: string; baseRef?: string; merged?: boolean; mergeCommitSha?: string; fork?: boolean }): string {
  const examples = require('@octokit/webhooks-examples') as { name: string; examples: Record<string, any>[] }[]; // eslint-disable-line @typescript-eslint/no-explicit-any
  const p = structuredClone(examples.find((e) => e.name === 'pull_request')!.examples.find((x) => x.action === 'opened')!);
  p.action = input.action;
  p.number = input.number;
  p.repository = { ...p.repository, full_name: input.repo, name: input.repo.split('/')[1] };
  const pr = p.pull_request;
  pr.number = input.number;
  pr.state = input.action === 'closed' ? 'closed' : 'open';
  pr.merged = input.merged ?? false;
  pr.merge_commit_sha = input.mergeCommitSha ?? null;
  pr.head = { ...pr.head, ref: input.headRef, sha: input.headSha, repo: { ...pr.head.repo, full_name: input.fork ? 'someone/fork' : input.repo } };
  pr.base = { ...pr.base, ref: input.baseRef ?? 'main', repo: { ...pr.base.repo, full_name: input.repo } };
  return JSON.stringify(p);
}

/** The example of an issue_comment event on a pull request, adjusted. */
export function issueCommentPayload(input: { repo: string; number: number; body: string; user: string; commentId?: number }): string {
  const examples = require('@octokit/webhooks-examples') as { name: string; examples: Record<string, any>[] }[]; // eslint-disable-line @typescript-eslint/no-explicit-any
  const p = structuredClone(examples.find((e) => e.name === 'issue_comment')!.examples.find((x) => x.action === 'created')!);
  p.repository = { ...p.repository, full_name: input.repo, name: input.repo.split('/')[1] };
  p.issue = { ...p.issue, number: input.number, pull_request: { url: `https://api.github.com/repos/${input.repo}/pulls/${input.number}` } };
  p.comment = { ...p.comment, id: input.commentId ?? Math.floor(Math.random() * 1e9), body: input.body, user: { ...p.comment.user, login: input.user, type: 'User' } };
  return JSON.stringify(p);
}

export function sign(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Log lines captured from the services, to check what they say (and never say). */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
  get text(): string {
    return this.lines.join('\n');
  }
}

/**
 * A whole Driftless (web + workers, in-process) wired to a real git server, the GitHub
 * stand-in, the test Redis (its own key prefix) and the test API server (its own namespace).
 */
export class DriftlessHarness {
  /** GitHub webhook secret, GitLab webhook token and generic HMAC key alike. */
  readonly secret = randomBytes(16).toString('hex');
  /** The provider's API token, also the clone token. */
  readonly githubToken = randomBytes(12).toString('hex');
  /** Bearer token of the web's /api (server.apiToken). */
  readonly apiToken = randomBytes(16).toString('hex');
  readonly logs = new LogCapture();
  readonly provider: 'github' | 'gitlab';
  readonly repoName: string;
  gitlab?: GitLabStandIn;
  config!: Config;
  /** The configuration as written, for the CLI. */
  configYaml!: string;
  repo!: TestRepo;
  git!: GitHttpServer;
  github!: GitHubStandIn;
  web?: Service & { server: Server };
  workers?: Service;
  /** The configuration's `git.cacheDir` (a disk-full case mounts a small tmpfs on it). */
  cacheDir!: string;

  private constructor(provider: 'github' | 'gitlab') {
    this.provider = provider;
    this.repoName = provider === 'github' ? `acme/shop-${randomBytes(3).toString('hex')}` : `acme/platform/shop-${randomBytes(3).toString('hex')}`;
  }

  /** Creates a fresh namespace named after `prefix` and starts a harness whose target deploys there. */
  static async startInNewNamespace(prefix: string, options: Omit<Parameters<typeof DriftlessHarness.start>[0], 'namespace'> = {}): Promise<{ h: DriftlessHarness; namespace: string }> {
    const namespace = uniqueName(prefix);
    const { client } = testKube();
    try {
      await createNamespace(client, namespace);
    } finally {
      client.close();
    }
    return { h: await DriftlessHarness.start({ ...options, namespace }), namespace };
  }

  static async start(options: {
    namespace: string;
    targetYaml?: string;
    /** Top-level YAML after the rest; a function gets the harness, its stand-ins started (for their URLs). */
    extraYaml?: string | ((h: DriftlessHarness) => string);
    /** Start the workers in-process (default), or not. */
    workers?: boolean;
    /** Start nothing in-process: the test runs Driftless as its own process from `configYaml`. */
    inProcess?: boolean;
    provider?: 'github' | 'gitlab';
    /** More keys of `providers.github`, as YAML flow-mapping entries (`maxRateLimitWait: 1s`). */
    githubYaml?: string;
    /**
     * Authenticate to GitHub as a GitHub App instead of with a token: the stand-in checks its JWT
     * and mints installation tokens living `tokenLifetimeSeconds`; the git server takes those.
     */
    githubApp?: { tokenLifetimeSeconds?: number };
    /** `providers.github` with a webhook secret only (no token, no App); the git server then needs no credentials. */
    githubWithoutCredentials?: boolean;
    /** Where Driftless reaches its parts, e.g. through a TcpProxy for fault injection. */
    endpoints?: {
      /** Rewrites the git server's clone URL. */
      cloneUrl?: (url: string) => string;
      kubeconfig?: string;
      redisUrl?: string;
    };
  }): Promise<DriftlessHarness> {
    const h = new DriftlessHarness(options.provider ?? 'github');
    h.repo = await TestRepo.create();
    // the provider token is also the clone token, as with a GitHub App installation token
    const app = options.githubApp && { appId: 4242, slug: 'driftless', ...testAppKey(), installations: { [h.repoName]: 77 }, tokenLifetimeSeconds: options.githubApp.tokenLifetimeSeconds };
    h.git = await GitHttpServer.start({ token: app ? (password) => h.github.acceptsToken(password) : options.githubWithoutCredentials ? undefined : h.githubToken });
    const served = h.git.add(h.repo, h.repoName);
    const cloneUrl = options.endpoints?.cloneUrl?.(served) ?? served;
    h.github = await GitHubStandIn.start(app ? { app } : { token: h.githubToken });
    h.gitlab = await GitLabStandIn.start({ token: h.githubToken });
    h.cacheDir = await mkdtemp(path.join(os.tmpdir(), 'driftless-cache-'));
    let githubAuth = options.githubWithoutCredentials ? '' : `token: "${h.githubToken}", `;
    if (app) {
      const keyFile = path.join(h.cacheDir, 'app.pem');
      await writeFile(keyFile, app.privateKey, { mode: 0o600 });
      githubAuth = `app: { appId: ${app.appId}, privateKeyFile: "${keyFile}" }, `;
    }
    const yaml = `
providers:
  github: { webhookSecret: "${h.secret}", ${githubAuth}apiUrl: "${h.github.url}", writeInterval: 1ms${options.githubYaml ? `, ${options.githubYaml}` : ''} }
  gitlab: { webhookToken: "${h.secret}", token: "${h.githubToken}", url: "${h.gitlab.url}" }
  generic: { secret: "${h.secret}" }
clusters:
  test: { kubeconfig: "${options.endpoints?.kubeconfig ?? process.env.KUBECONFIG}" }
targets:
  - name: ${options.namespace}
    repo: ${h.provider}:${h.repoName}
    cloneUrl: ${cloneUrl}
    branch: main
    path: deploy
    cluster: test
    namespace: ${options.namespace}
${options.targetYaml ?? ''}
server: { port: 0 }
redis: { url: "${options.endpoints?.redisUrl ?? process.env.REDIS_URL}", prefix: "dl-${randomBytes(4).toString('hex')}" }
git: { cacheDir: "${h.cacheDir}" }
${typeof options.extraYaml === 'function' ? options.extraYaml(h) : (options.extraYaml ?? '')}
`;
    h.configYaml = yaml;
    // REDIS_URL in the environment overrides the file: keep it pointing where the file does
    const parsed = parseConfig(yaml, 'test.yaml', { ...process.env, PORT: '0', REDIS_URL: options.endpoints?.redisUrl ?? process.env.REDIS_URL });
    // set here rather than in the YAML, whose `server: { port: 0 }` line tests rewrite for child processes
    h.config = { ...parsed, server: { ...parsed.server, apiToken: h.apiToken } };
    const log = createLogger({ level: 'debug', destination: h.logs });
    if (options.inProcess === false) return h;
    // one registry for web and workers, as in `driftless all`
    const metrics = new Metrics();
    h.web = await startWeb(h.config, 'test.yaml', log, metrics);
    if (options.workers !== false) h.workers = await startWorkers(h.config, log, { metrics });
    return h;
  }

  get url(): string {
    const address = this.web?.server.address();
    if (!address || typeof address === 'string') throw new Error('not listening');
    return `http://127.0.0.1:${address.port}`;
  }

  /** GETs an /api path with the harness's bearer token; returns the JSON body. */
  async api<T>(apiPath: string): Promise<T> {
    const res = await fetch(`${this.url}${apiPath}`, { headers: { authorization: `Bearer ${this.apiToken}` } });
    if (!res.ok) throw new Error(`GET ${apiPath}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  /** POSTs a signed GitHub push delivery; returns status and JSON body. */
  /** Delivers a push webhook to this harness's web, or to `options.url` (a Driftless process of the test's own). */
  async push(body: string, options: { deliveryId?: string; event?: string; signature?: string | null; contentType?: string; url?: string } = {}) {
    const headers: Record<string, string> = {
      'content-type': options.contentType ?? 'application/json',
      'x-github-event': options.event ?? 'push',
      'x-github-delivery': options.deliveryId ?? randomUUID(),
    };
    const signature = options.signature === undefined ? sign(this.secret, body) : options.signature;
    if (signature !== null) headers['x-hub-signature-256'] = signature;
    const res = await fetch(`${options.url ?? this.url}/webhooks/github`, { method: 'POST', headers, body });
    return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
  }

  /** Commits files and sends the push webhook for it (to `options.url` when given). */
  async commitAndPush(message: string, files: Record<string, string | null>, options: { deliveryId?: string; url?: string } = {}) {
    const before = await this.repo.head().catch(() => '0'.repeat(40));
    const sha = await this.repo.commit(message, files);
    const body = pushPayload({ repo: this.repoName, cloneUrl: 'https://example.invalid/x.git', before, after: sha, paths: Object.keys(files) });
    const res = await this.push(body, options);
    return { sha, res, body };
  }

  /** The target's history, newest first, read through the same store the worker writes. */
  async history(target: string): Promise<HistoryEntry[]> {
    const redis = new Redis(this.config.redis.url);
    try {
      return await new HistoryStore(redis, keys(this.config.redis.prefix)).list(target, 100);
    } finally {
      await redis.quit();
    }
  }

  /** Commit statuses of the target's repository, newest first, as `{state, description}` in the provider's words. */
  statuses(sha: string): { state: string; description: string | null; context: string }[] {
    if (this.provider === 'github') return this.github.statuses(this.repoName, sha);
    return this.gitlab!.statuses(this.repoName, sha).map((s) => ({ state: s.status, description: s.description, context: s.name }));
  }

  async close(): Promise<void> {
    await this.workers?.close();
    await this.web?.close();
    await this.github?.close();
    await this.gitlab?.close();
    await this.git?.close();
    await this.repo?.remove();
    await rm(this.cacheDir, { recursive: true, force: true });
  }
}
