import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { FetchError } from '../errors.js';
import type { GitCredentials } from '../model/git.js';
import { runChild, type ChildResult } from './child-process.js';

export type { GitCredentials };

export interface FetchOptions {
  /** Where mirrors are cached, one per clone URL. */
  cacheDir: string;
  cloneUrl: string;
  credentials?: GitCredentials;
  /** Full 40-hex commit id. */
  sha: string;
  /**
   * The one repository path (a folder or a file, in normal form: see `targetScope`) to check out
   * instead of the whole tree; a path the commit does not have gets the whole tree.
   */
  scope?: string;
}

/** A checkout of one commit; `remove()` deletes it. */
export interface Checkout {
  dir: string;
  sha: string;
  /** The path checked out alone, or undefined when the whole tree is. */
  readonly scope: string | undefined;
  /** Checks out the rest of the tree, once; nothing for a whole checkout. */
  widen(): Promise<void>;
  remove(): Promise<void>;
}

const shaPattern = /^[0-9a-f]{40}$/;

/** Proxy variables git's libcurl reads, each passed on in both spellings (curl reads `http_proxy` only in lower case). */
const proxyVariables = ['http_proxy', 'https_proxy', 'all_proxy', 'no_proxy'] as const;

/**
 * The proxy and CA settings of this process's environment, for git: `HTTPS_PROXY`, `HTTP_PROXY`,
 * `ALL_PROXY`, `NO_PROXY` (either case; lower case wins, as in curl) and the CA bundle,
 * `GIT_SSL_CAINFO` or else `SSL_CERT_FILE` (Debian's git uses GnuTLS, which reads only the
 * former), plus `SSL_CERT_DIR`. Only the fetch gets them: renderers have no network at all.
 */
export function gitNetworkEnv(from: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of proxyVariables) {
    const value = from[name] ?? from[name.toUpperCase()];
    if (value !== undefined) env[name] = env[name.toUpperCase()] = value;
  }
  const caFile = from.GIT_SSL_CAINFO ?? from.SSL_CERT_FILE;
  if (caFile) env.GIT_SSL_CAINFO = caFile;
  if (from.SSL_CERT_FILE) env.SSL_CERT_FILE = from.SSL_CERT_FILE;
  if (from.SSL_CERT_DIR) env.SSL_CERT_DIR = from.SSL_CERT_DIR;
  return env;
}

/**
 * The token travels in an environment-provided `http.extraHeader`, never in the URL or the
 * process arguments, so it cannot show up in `ps`, in git's error messages or in our logs.
 */
function gitEnv(credentials: GitCredentials | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_ASKPASS: 'true',
    ...gitNetworkEnv(),
  };
  if (credentials) {
    const basic = Buffer.from(`${credentials.username}:${credentials.token}`).toString('base64');
    Object.assign(env, { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}` });
  }
  return env;
}

/** Most a git command may print: checkouts and fetches are quiet, ls-remote prints one line. */
const MAX_GIT_OUTPUT_BYTES = 64 * 1024 * 1024;

/**
 * Runs git (see `runChild`: a timeout kills its remote helpers too) and returns its standard
 * output. Rejects with `git <command>: <reason>`, carrying git's standard error, when it does not
 * exit 0. `timeoutMs` defaults to 120 s.
 */
async function git(args: string[], options: { cwd?: string; credentials?: GitCredentials; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const result = await runChild('git', args, { cwd: options.cwd, env: { ...gitEnv(options.credentials), ...options.env }, timeoutMs, maxOutputBytes: MAX_GIT_OUTPUT_BYTES });
  if (result.outcome === 'exited' && result.code === 0) return result.stdout;
  const stderr = 'stderr' in result ? result.stderr.trim() : '';
  throw Object.assign(new Error(`git ${args[0]}: ${failure(result, timeoutMs)}`), { stderr: stderr || undefined });
}

/** Why a git run failed, in a few words: the last lines git printed, when it printed any. */
function failure(result: ChildResult, timeoutMs: number): string {
  switch (result.outcome) {
    case 'not-started':
      return result.error.message;
    case 'timeout':
      return `timed out after ${timeoutMs / 1000} s`;
    case 'output-limit':
      return `printed more than ${MAX_GIT_OUTPUT_BYTES / 1024 / 1024} MiB`;
    case 'exited':
      return result.stderr.trim().split('\n').slice(-3).join(' ') || `exit code ${result.code}`;
  }
}

/** Authentication or a missing repository/commit will not fix itself; a host that is down might. */
function classify(err: unknown, what: string): FetchError {
  const text = (err as { stderr?: string }).stderr ?? (err instanceof Error ? err.message : String(err));
  const permanent = /Authentication failed|could not read Username|401|403|not found|does not exist|not our ref|unadvertised object|couldn't find remote ref/i.test(text);
  return new FetchError(`${what}: ${text.trim().split('\n').slice(-2).join(' ')}`, permanent, { cause: err });
}

function mirrorDir(cacheDir: string, cloneUrl: string): string {
  return path.join(cacheDir, createHash('sha256').update(cloneUrl).digest('hex').slice(0, 16) + '.git');
}

/** Whether the mirror has the commit's loose ref (see hasCommit): a file read, no process. */
async function hasLooseRef(mirror: string, sha: string): Promise<boolean> {
  return (await readFile(path.join(mirror, 'refs', 'driftless', sha), 'utf8').catch(() => '')).trim() === sha;
}

/**
 * Whether the mirror holds the commit: its ref, not the commit object, as git writes the ref only
 * once every object of the fetch is in, so a fetch cut short (a full disk, a killed process) that
 * left the commit without its blobs is fetched again instead of failing every checkout after it.
 * The loose ref file is read first; `rev-parse` answers for a ref git has since packed.
 */
async function hasCommit(mirror: string, sha: string): Promise<boolean> {
  if (await hasLooseRef(mirror, sha)) return true;
  return git(['rev-parse', '--quiet', '--verify', `refs/driftless/${sha}^{commit}`], { cwd: mirror }).then(() => true, () => false);
}

/**
 * Runs `work` once for the callers that ask for `key` while it runs: they share its end, or its
 * failure (each caller's job retries on its own).
 */
function shared(inFlight: Map<string, Promise<void>>, key: string, work: () => Promise<void>): Promise<void> {
  let running = inFlight.get(key);
  if (!running) {
    running = work().finally(() => inFlight.delete(key));
    inFlight.set(key, running);
  }
  return running;
}

/** Mirrors being made (`git init --bare`), so that two first fetches do not make one twice at once. */
const mirrorsMade = new Map<string, Promise<void>>();

function makeMirror(cacheDir: string, mirror: string): Promise<void> {
  if (existsSync(path.join(mirror, 'HEAD'))) return Promise.resolve();
  return shared(mirrorsMade, mirror, async () => {
    await mkdir(cacheDir, { recursive: true });
    await git(['init', '--bare', '--quiet', mirror]);
  });
}

/**
 * Fetches in flight, by mirror and the commits they bring: the syncs of a monorepo's targets
 * pushed together ask for the same commit at once and share one fetch instead of each running
 * its own.
 */
const fetching = new Map<string, Promise<void>>();

/**
 * Fetches whichever of these commits the cached mirror lacks, in one round trip. A commit
 * fetched before costs a file read: a process spawn per sync was the largest part of a fleet's
 * worker CPU.
 */
export async function ensureCommits(options: Omit<FetchOptions, 'sha' | 'scope'> & { shas: readonly string[] }): Promise<void> {
  const { cacheDir, cloneUrl, shas } = options;
  for (const sha of shas) if (!shaPattern.test(sha)) throw new FetchError(`not a full commit id: ${JSON.stringify(sha)}`, true);
  const mirror = mirrorDir(cacheDir, cloneUrl);
  const unknown: string[] = [];
  for (const sha of shas) if (!(await hasLooseRef(mirror, sha))) unknown.push(sha);
  if (unknown.length === 0) return;
  await shared(fetching, `${mirror}\0${[...unknown].sort().join(',')}`, () => fetchMissing(mirror, unknown, options));
}

async function fetchMissing(mirror: string, shas: readonly string[], { cacheDir, cloneUrl, credentials }: Omit<FetchOptions, 'sha' | 'scope'>): Promise<void> {
  await makeMirror(cacheDir, mirror);
  const missing: string[] = [];
  for (const sha of shas) if (!(await hasCommit(mirror, sha))) missing.push(sha);
  if (missing.length === 0) return;
  try {
    // a ref per fetched commit keeps its objects safe from gc; FETCH_HEAD is shared and racy
    const refspecs = missing.map((sha) => `+${sha}:refs/driftless/${sha}`);
    await git(['-c', 'gc.auto=0', 'fetch', '--quiet', '--no-tags', '--no-write-fetch-head', cloneUrl, ...refspecs], { cwd: mirror, credentials });
  } catch (err) {
    throw classify(err, `fetching ${missing.map((s) => s.slice(0, 7)).join(', ')} from ${redactUrl(cloneUrl)}`);
  }
}

/**
 * Checks `pathspec` of the commit out into `dir`, with an index of its own beside it: the
 * mirror's one index would be locked by every other sync of this repository checking out at the
 * same time (index.lock: File exists).
 */
async function checkOut(mirror: string, dir: string, sha: string, pathspec: string): Promise<void> {
  const index = `${dir}.index`;
  try {
    await git(['--work-tree', dir, 'checkout', '--quiet', '--force', sha, '--', pathspec], { cwd: mirror, env: { GIT_INDEX_FILE: index } });
  } finally {
    await rm(index, { force: true });
  }
}

/**
 * Makes the exact commit available in the cached mirror and checks it out into a fresh
 * directory: the whole tree, or only `scope`. Writing files is the slow part of a checkout (a
 * 100-target monorepo's 400 files took 0.2 s of kernel time, each of its 100 syncs), so a target
 * that renders its own folder checks out only that.
 */
export async function fetchRevision(options: FetchOptions): Promise<Checkout> {
  await ensureCommits({ ...options, shas: [options.sha] });
  const { sha } = options;
  const mirror = mirrorDir(options.cacheDir, options.cloneUrl);
  const dir = await mkdtemp(path.join(options.cacheDir, `checkout-${sha.slice(0, 7)}-`));
  let scope = options.scope;
  try {
    if (scope !== undefined) {
      // literal: a path is never a glob; one the commit lacks is the render's to report
      await checkOut(mirror, dir, sha, `:(literal)${scope}`).catch((err: unknown) => {
        if (!/did not match any file/.test((err as { stderr?: string }).stderr ?? '')) throw err;
        scope = undefined;
      });
    }
    if (scope === undefined) await checkOut(mirror, dir, sha, '.');
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw classify(err, `checking out ${sha.slice(0, 7)}`);
  }
  return {
    dir,
    sha,
    get scope() {
      return scope;
    },
    widen: async () => {
      if (scope === undefined) return;
      await checkOut(mirror, dir, sha, '.').catch((err: unknown) => {
        throw classify(err, `checking out ${sha.slice(0, 7)}`);
      });
      scope = undefined;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Branch listings per clone URL and branch: the newest one started, with when it started. */
const listings = new Map<string, { startedAt: number; head: Promise<string | undefined> }>();

/** How long a finished listing may still be shared: long enough for a burst of syncs, short enough to stay news. */
const listingReuseMs = 5_000;

/**
 * The commit a branch points at on the remote (`git ls-remote`), or undefined if it has none.
 * `notBefore` (epoch ms) lets a caller share a listing of the same branch, in this process, that
 * started at or after that time and is running or ended less than 5 s ago: the targets of a
 * monorepo pushed together then list the branch once, not once each. A sync passes the newest
 * of when its delivery was queued and when the target's pending pushes arrived: the provider
 * moved the branch before it sent each webhook, so a listing started after that sees them all.
 * Without `notBefore`, the branch is listed anew.
 */
export function remoteHead(cloneUrl: string, branch: string, credentials?: GitCredentials, { notBefore }: { notBefore?: number } = {}): Promise<string | undefined> {
  const key = `${cloneUrl}\0${branch}`;
  const known = listings.get(key);
  if (notBefore !== undefined && known && known.startedAt >= notBefore) return known.head;
  const listing = { startedAt: Date.now(), head: listBranch(cloneUrl, branch, credentials) };
  listings.set(key, listing);
  const forget = () => {
    if (listings.get(key) === listing) listings.delete(key);
  };
  // a failed listing is nobody's answer: the next caller lists again
  listing.head.then(() => setTimeout(forget, listingReuseMs).unref(), forget);
  return listing.head;
}

async function listBranch(cloneUrl: string, branch: string, credentials?: GitCredentials): Promise<string | undefined> {
  try {
    const out = await git(['ls-remote', cloneUrl, `refs/heads/${branch}`], { credentials, timeoutMs: 30_000 });
    return out.split(/\s/)[0] || undefined;
  } catch (err) {
    throw classify(err, `listing ${branch} on ${redactUrl(cloneUrl)}`);
  }
}

/** A clone URL without userinfo, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return url;
  }
}
