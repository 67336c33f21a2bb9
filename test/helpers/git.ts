import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, promises as fs, symlinkSync } from 'node:fs';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { listenOnLoopback, sameSecret, stopServer } from './recording-server.js';

/** Identity used for every commit a test makes, so shas do not depend on the machine. */
export const TEST_AUTHOR = { name: 'Driftless Test', email: 'test@driftless.invalid' } as const;

/** First commit date of every TestRepo; each further commit is one minute later. */
const EPOCH = Date.UTC(2024, 0, 1) / 1000;

/** A git command that exited non-zero; keeps its exit code and stderr for assertions. */
export class GitCommandError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`git ${args.join(' ')} exited with ${exitCode ?? 'a signal'}: ${stderr.trim()}`);
    this.name = 'GitCommandError';
  }
}

/** Options of runGit. */
export interface RunGitOptions {
  /** Working directory of the command. */
  cwd?: string;
  /** Variables added to the isolated environment (see isolatedGitEnv). */
  env?: Record<string, string>;
}

/**
 * The process environment without any GIT_* variable, with the user's global and system git
 * configuration switched off and prompts disabled, so a test sees the same git everywhere and
 * a refused request fails instead of waiting for a password.
 */
export function isolatedGitEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('GIT_')) env[key] = value;
  }
  return {
    ...env,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: os.devNull,
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '',
    SSH_ASKPASS: '',
    ...extra,
  };
}

/**
 * Environment for a git client that authenticates to a GitHttpServer the way the production
 * fetcher does: an `Authorization: Basic` header passed through GIT_CONFIG_* variables, never
 * in the URL or in a file.
 */
export function gitClientEnv(options: { token?: string; username?: string } = {}): Record<string, string> {
  if (options.token === undefined) return isolatedGitEnv();
  const basic = Buffer.from(`${options.username ?? 'x-access-token'}:${options.token}`).toString('base64');
  return isolatedGitEnv({
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.extraHeader',
    GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
  });
}

/** Runs system git without a shell; rejects with GitCommandError on a non-zero exit. */
export function runGit(args: readonly string[], options: RunGitOptions = {}): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      [...args],
      { cwd: options.cwd, env: isolatedGitEnv(options.env), maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error) {
          const code = typeof error.code === 'number' ? error.code : null;
          reject(new GitCommandError(args, code, stdout, stderr));
          return;
        }
        resolve({ stdout, stderr });
      },
    );
  });
}

/** One entry of TestRepo.log. */
export interface CommitInfo {
  sha: string;
  subject: string;
  parents: string[];
}

/** Options of TestRepo.create. */
export interface TestRepoOptions {
  /** Initial branch; `main` by default. */
  branch?: string;
}

/**
 * A real, non-bare git repository in a fresh temporary directory. Its `.git` directory can be
 * served by GitHttpServer as is: a commit made here is fetchable at once, with no push.
 */
export class TestRepo {
  private commits = 0;
  private removed = false;

  private constructor(
    /** Working tree. */
    readonly dir: string,
    /** Initial branch. */
    readonly defaultBranch: string,
  ) {}

  /** The `.git` directory, the one a server exposes. */
  get gitDir(): string {
    return path.join(this.dir, '.git');
  }

  static async create(options: TestRepoOptions = {}): Promise<TestRepo> {
    const branch = options.branch ?? 'main';
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'driftless-repo-'));
    const repo = new TestRepo(dir, branch);
    await repo.git(['init', '--quiet', `--initial-branch=${branch}`]);
    const config: [string, string][] = [
      // lets clients fetch a commit by sha even when it is no longer a branch tip (protocol v0)
      ['uploadpack.allowReachableSHA1InWant', 'true'],
      ['uploadpack.allowTipSHA1InWant', 'true'],
      // no background gc repacking the object store under a running fetch
      ['gc.auto', '0'],
      ['core.autocrlf', 'false'],
      ['commit.gpgSign', 'false'],
      // a local `git push` into this repo updates the checked-out branch and the working tree
      ['receive.denyCurrentBranch', 'updateInstead'],
      // http-backend would enable pushes for any authenticated user (REMOTE_USER); tests commit here
      ['http.receivepack', 'false'],
    ];
    for (const [key, value] of config) await repo.git(['config', key, value]);
    return repo;
  }

  /** Runs git in the working tree with the fixed identity. */
  async git(args: readonly string[], env: Record<string, string> = {}): Promise<string> {
    const { stdout } = await runGit(args, {
      cwd: this.dir,
      env: {
        GIT_AUTHOR_NAME: TEST_AUTHOR.name,
        GIT_AUTHOR_EMAIL: TEST_AUTHOR.email,
        GIT_COMMITTER_NAME: TEST_AUTHOR.name,
        GIT_COMMITTER_EMAIL: TEST_AUTHOR.email,
        ...env,
      },
    });
    return stdout;
  }

  /** Writes files (paths relative to the root, parents created); `null` deletes the file. */
  async write(files: Record<string, string | null>): Promise<void> {
    for (const [name, content] of Object.entries(files)) {
      const file = this.resolve(name);
      if (content === null) {
        await fs.rm(file, { force: true });
        continue;
      }
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(file, content);
    }
  }

  /** Writes `files`, stages everything and commits (empty commits allowed); returns the full sha. */
  async commit(message: string, files: Record<string, string | null> = {}): Promise<string> {
    await this.write(files);
    await this.git(['add', '--all']);
    const date = `@${EPOCH + 60 * this.commits} +0000`;
    this.commits += 1;
    await this.git(['commit', '--quiet', '--allow-empty', '--no-verify', '--message', message], {
      GIT_AUTHOR_DATE: date,
      GIT_COMMITTER_DATE: date,
    });
    return this.head();
  }

  /** Creates branch `name` at `from` (HEAD by default) without switching to it. */
  async branch(name: string, from = 'HEAD'): Promise<void> {
    await this.git(['branch', '--quiet', name, from]);
  }

  /** Switches the working tree to an existing branch (or detaches at a commit). */
  async checkout(name: string): Promise<void> {
    await this.git(['checkout', '--quiet', name]);
  }

  /** Full sha of HEAD, or of `ref` when given. */
  async head(ref = 'HEAD'): Promise<string> {
    return (await this.git(['rev-parse', '--verify', `${ref}^{commit}`])).trim();
  }

  /** The last `n` commits reachable from HEAD, newest first. */
  async log(n = 10): Promise<CommitInfo[]> {
    const out = await this.git(['log', `--max-count=${n}`, '--format=%H%x00%P%x00%s']);
    return out
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const [sha = '', parents = '', subject = ''] = line.split('\0');
        return { sha, subject, parents: parents === '' ? [] : parents.split(' ') };
      });
  }

  /** Deletes the directory; safe to call twice. */
  async remove(): Promise<void> {
    if (this.removed) return;
    this.removed = true;
    await fs.rm(this.dir, { recursive: true, force: true });
  }

  private resolve(name: string): string {
    const file = path.resolve(this.dir, name);
    const relative = path.relative(this.dir, file);
    if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative) || relative.split(path.sep)[0] === '.git') {
      throw new Error(`TestRepo.write: ${name} is outside the working tree`);
    }
    return file;
  }
}

/** Options of GitHttpServer.start. */
export interface GitHttpServerOptions {
  /** When set, every request needs HTTP basic auth with this password, or one this function accepts (expiring tokens). */
  token?: string | ((password: string) => boolean);
  /** When set together with `token`, the basic-auth username must be this one. */
  username?: string;
}

/** One request as the server saw it. */
export interface GitHttpRequest {
  method: string;
  /** Path and query as received. */
  url: string;
  /** True when the request was let through: no token configured, or valid credentials. */
  authorized: boolean;
  /** Response status; 0 until the response starts. */
  status: number;
}

/** The `.git` suffix is part of the served path; accept it or not. */
function repoPath(name: string): string {
  const trimmed = name.replace(/^\/+/, '').replace(/\/+$/, '').replace(/\.git$/, '');
  if (trimmed === '' || trimmed.split('/').some((part) => part === '' || part === '.' || part === '..')) {
    throw new Error(`GitHttpServer: invalid repository path ${name}`);
  }
  return `${trimmed}.git`;
}

/**
 * Serves TestRepos over git's smart HTTP protocol on 127.0.0.1 by running `git http-backend`
 * as a CGI program per request, optionally behind basic auth.
 */
export class GitHttpServer {
  /** Every request received, in order. */
  readonly requests: GitHttpRequest[] = [];
  private readonly children = new Set<ChildProcess>();
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: http.Server,
    /** Directory http-backend serves (GIT_PROJECT_ROOT); holds symlinks to the repos. */
    readonly projectRoot: string,
    private readonly options: GitHttpServerOptions,
    /** Base URL, e.g. http://127.0.0.1:40123 */
    readonly url: string,
  ) {}

  static async start(options: GitHttpServerOptions = {}): Promise<GitHttpServer> {
    const projectRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'driftless-git-http-'));
    const { server, url } = await listenOnLoopback();
    const instance = new GitHttpServer(server, projectRoot, { ...options }, url);
    server.on('request', (req, res) => instance.handle(req, res));
    return instance;
  }

  /** Exposes `repo` at `/<name>.git` (e.g. `acme/shop`); returns its clone URL. */
  add(repo: TestRepo, name: string): string {
    const link = path.join(this.projectRoot, repoPath(name));
    mkdirSync(path.dirname(link), { recursive: true });
    // http-backend follows the link; a commit in the TestRepo is visible to the next request
    symlinkSync(repo.gitDir, link, 'dir');
    return this.urlFor(name);
  }

  /** Clone URL of a repository path, with or without `.git`. */
  urlFor(name: string): string {
    return `${this.url}/${repoPath(name)}`;
  }

  /** Stops listening, ends open connections and running backends, removes the project root. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const closed = stopServer(this.server);
      for (const child of this.children) child.kill('SIGKILL');
      await closed;
      await fs.rm(this.projectRoot, { recursive: true, force: true });
    })();
    return this.closing;
  }

  private authorize(header: string | undefined): { ok: boolean; user?: string } {
    const { token, username } = this.options;
    if (token === undefined) return { ok: true };
    const match = /^Basic\s+(\S+)\s*$/i.exec(header ?? '');
    if (!match?.[1]) return { ok: false };
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return { ok: false };
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    // evaluate both comparisons so a wrong username costs the same time as a wrong token
    const tokenOk = typeof token === 'function' ? token(password) : sameSecret(password, token);
    const userOk = username === undefined || sameSecret(user, username);
    return tokenOk && userOk ? { ok: true, user } : { ok: false };
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const entry: GitHttpRequest = { method: req.method ?? 'GET', url: req.url ?? '/', authorized: false, status: 0 };
    this.requests.push(entry);
    res.on('finish', () => {
      entry.status = res.statusCode;
    });

    const auth = this.authorize(req.headers.authorization);
    entry.authorized = auth.ok;
    if (!auth.ok) {
      req.resume();
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"', 'Content-Type': 'text/plain' });
      res.end('Authentication required\n');
      return;
    }

    const url = new URL(req.url ?? '/', this.url);
    let pathInfo: string;
    try {
      pathInfo = decodeURIComponent(url.pathname);
    } catch {
      req.resume();
      res.writeHead(400, { 'Content-Type': 'text/plain' }).end('Bad request path\n');
      return;
    }
    const header = (name: string): string => {
      const value = req.headers[name];
      return Array.isArray(value) ? value.join(', ') : (value ?? '');
    };
    const env: Record<string, string> = {
      ...isolatedGitEnv(),
      GIT_PROJECT_ROOT: this.projectRoot,
      GIT_HTTP_EXPORT_ALL: '1',
      GATEWAY_INTERFACE: 'CGI/1.1',
      SERVER_PROTOCOL: `HTTP/${req.httpVersion}`,
      SERVER_SOFTWARE: 'driftless-test',
      PATH_INFO: pathInfo,
      QUERY_STRING: url.search.replace(/^\?/, ''),
      REQUEST_METHOD: entry.method,
      CONTENT_TYPE: header('content-type'),
      REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
      // http-backend inflates gzip request bodies itself when told about the encoding
      HTTP_CONTENT_ENCODING: header('content-encoding'),
      GIT_PROTOCOL: header('git-protocol'),
    };
    // without CONTENT_LENGTH http-backend reads the body until EOF, which chunked requests need
    const length = header('content-length');
    if (length !== '') env.CONTENT_LENGTH = length;
    if (auth.user !== undefined) env.REMOTE_USER = auth.user;

    const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.children.add(child);
    const stderr: Buffer[] = [];
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    // the backend may exit (e.g. 404) before reading the whole body
    child.stdin.on('error', () => undefined);
    req.pipe(child.stdin);
    // a client that hangs up mid-response leaves no backend behind
    res.on('close', () => {
      if (!res.writableFinished && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });

    let head = Buffer.alloc(0);
    let headersSent = false;
    const onData = (chunk: Buffer): void => {
      if (headersSent) return;
      head = Buffer.concat([head, chunk]);
      const end = findHeaderEnd(head);
      if (!end) return;
      headersSent = true;
      child.stdout.off('data', onData);
      const { status, headers } = parseCgiHeaders(head.subarray(0, end.index).toString('latin1'));
      res.writeHead(status, headers);
      const rest = head.subarray(end.index + end.length);
      if (rest.length > 0) res.write(rest);
      child.stdout.pipe(res);
    };
    child.stdout.on('data', onData);
    child.on('error', (error) => {
      this.children.delete(child);
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${error.message}\n`);
      else res.destroy(error);
    });
    child.on('close', (code) => {
      this.children.delete(child);
      if (headersSent) return;
      if (!res.headersSent) {
        const message = Buffer.concat(stderr).toString('utf8') || `git http-backend exited with ${code}`;
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${message}\n`);
      }
    });
  }
}

/** Where the CGI header block ends; http-backend ends lines with CRLF, other CGIs with LF. */
function findHeaderEnd(buffer: Buffer): { index: number; length: number } | undefined {
  const crlf = buffer.indexOf('\r\n\r\n');
  const lf = buffer.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf <= lf)) return { index: crlf, length: 4 };
  if (lf >= 0) return { index: lf, length: 2 };
  return undefined;
}

/** Parses a CGI header block; `Status:` becomes the status code (200 by default). */
function parseCgiHeaders(block: string): { status: number; headers: Record<string, string | string[]> } {
  let status = 200;
  const headers: Record<string, string | string[]> = {};
  for (const line of block.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') {
      const code = Number.parseInt(value, 10);
      if (Number.isInteger(code) && code >= 100 && code <= 599) status = code;
      continue;
    }
    const existing = headers[name];
    if (existing === undefined) headers[name] = value;
    else headers[name] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return { status, headers };
}
