#!/usr/bin/env node
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from './config/load.js';
import type { Config, TargetConfig } from './config/schema.js';
import { DriftlessError } from './errors.js';
import { createLogger, type Logger } from './log.js';
import { startWeb, startWorkers, type Service } from './services.js';
import { Metrics } from './metrics.js';
import { createAppFromManifest } from './providers/github/app-setup.js';
import { createProviders, sourceFor } from './providers/index.js';
import { formatChanges } from './report/changeset-text.js';
import { connectCluster, createRuntime, type Runtime } from './runtime.js';
import { targetStatuses, type TargetStatus } from './store/target-status.js';
import { remoteHead } from './sync/fetch.js';
import { planRevision } from './sync/pipeline.js';
import { planChangeSet } from './sync/plan.js';
import { reconcileTarget } from './workers/sync.js';
import { bashCompletion, configuredTargetNames, zshCompletion } from './cli/completion.js';
import { resolveConfigPath } from './cli/config-path.js';
import { configureNetwork } from './cli/network.js';
import { formatData, parseOutputFormat, type OutputFormat } from './cli/output.js';
import { buildInfo } from './version.js';
import { isWrite, summarize } from './sync/changeset.js';

const usage = `usage: driftless <command> [options]

commands:
  serve     [--config FILE]               webhooks, health (HTTP)
  worker    [--config FILE]               sync and report workers
  all       [--config FILE]               both in one process
  sync      [--config FILE] --target T [--revision SHA]   deploy now (default: the branch head)
  rollback  [--config FILE] --target T [--revision SHA]   deploy the previous healthy revision (or SHA)
  diff      [--config FILE] --target T [--revision SHA] [-o json|yaml]
                                          what a sync would change; writes nothing.
                                          exit 0: no changes, 1: changes, 2: error
  history   [--config FILE] --target T [--limit N] [-o json|yaml]
  status    [--config FILE] [-o json|yaml]   per target: deployed, healthy, pending revisions, lock
  validate-config [FILE]
  version   [-o json|yaml]                Driftless's and Node.js's versions
  completion bash|zsh                     shell completion script: source <(driftless completion bash)
  github-app create --webhook-url URL [--name N] [--org ORG] [--out DIR] [--api-url URL] [--github-url URL] [--port N]
                                          register Driftless's GitHub App through GitHub's manifest flow

--config defaults to $DRIFTLESS_CONFIG, else ./driftless.yaml if it exists, else
/etc/driftless/config/driftless.yaml (where the image and the chart mount it).
Exit codes: 0 done, 1 failed, 2 usage error (diff: 1 means changes, 2 any error).`;

class UsageError extends Error {}

/** The options every command may take; a malformed one is a usage error (exit 2), not Node's own message. */
function parseArguments(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        target: { type: 'string', short: 't' },
        revision: { type: 'string', short: 'r' },
        limit: { type: 'string' },
        output: { type: 'string', short: 'o' },
        'webhook-url': { type: 'string' },
        name: { type: 'string' },
        org: { type: 'string' },
        out: { type: 'string' },
        'api-url': { type: 'string' },
        'github-url': { type: 'string' },
        port: { type: 'string' },
      },
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message.split('. ')[0]! : String(err));
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h' || rest.includes('--help') || rest.includes('-h')) {
    // asked for, usage is the answer (stdout, 0); without a command it is a usage error (stderr, 2)
    if (command === undefined) console.error(usage);
    else console.log(usage);
    return command === undefined ? 2 : 0;
  }
  const { values, positionals } = parseArguments(rest);
  if (command === 'github-app') {
    if (positionals[0] !== 'create') throw new UsageError('github-app needs a subcommand: create');
    return githubAppCreate(values);
  }
  if (command === 'version' || command === '--version') return printVersion(outputFormat(values.output));
  if (command === 'completion') {
    const shell = positionals[0];
    if (shell !== 'bash' && shell !== 'zsh') throw new UsageError('completion needs a shell: bash or zsh');
    process.stdout.write(shell === 'bash' ? bashCompletion() : zshCompletion());
    return 0;
  }
  if (command === '__complete') {
    // called by the completion scripts for --target; prints nothing rather than an error
    const file = positionals[0] === 'targets' ? resolveConfigPath(values.config) : undefined;
    if (file) for (const name of await configuredTargetNames(file)) console.log(name);
    return 0;
  }
  if (command === 'validate-config') {
    const file = positionals[0] ?? resolveConfigPath(values.config);
    if (!file) throw new UsageError('validate-config needs a FILE (or $DRIFTLESS_CONFIG, ./driftless.yaml)');
    const config = await loadConfig(file);
    console.log(`${file}: valid (${config.targets.length} target${config.targets.length === 1 ? '' : 's'}: ${config.targets.map((t) => t.name).join(', ')})`);
    return 0;
  }
  if (!command || !['serve', 'worker', 'all', 'sync', 'rollback', 'diff', 'history', 'status'].includes(command)) throw new UsageError(command ? `unknown command ${command}` : 'no command');
  const file = resolveConfigPath(values.config);
  if (!file) throw new UsageError(`${command} needs a config file: --config FILE, $DRIFTLESS_CONFIG, or ./driftless.yaml`);
  const format = outputFormat(values.output);
  const config = await loadConfig(file);
  configureNetwork(config.git, file);
  // the servers log to stdout as services do; a one-shot command's stdout is its answer
  const log = createLogger({ destination: ['serve', 'worker', 'all'].includes(command) ? process.stdout : process.stderr });
  switch (command) {
    case 'serve':
      return runUntilSignal(log, [await startWeb(config, file, log)]);
    case 'worker':
      return runUntilSignal(log, [await startWorkers(config, log, { port: config.server.port })]);
    case 'all': {
      const metrics = new Metrics();
      return runUntilSignal(log, [await startWorkers(config, log, { metrics }), await startWeb(config, file, log, metrics)]);
    }
    case 'sync':
      return syncNow(config, target(config, values.target), 'api', values.revision, log);
    case 'rollback':
      return syncNow(config, target(config, values.target), 'rollback', values.revision, log);
    case 'diff':
      return diff(config, target(config, values.target), values.revision, format, log);
    case 'history':
      return history(config, target(config, values.target), Number(values.limit ?? 20), format, log);
    case 'status':
      return status(config, format, log);
  }
  return 2;
}

/**
 * `github-app create`: registers the App through GitHub's manifest flow and says where its
 * credentials went and what the config needs; the key and the secrets are never printed.
 */
async function githubAppCreate(values: { 'webhook-url'?: string; name?: string; org?: string; out?: string; 'api-url'?: string; 'github-url'?: string; port?: string }): Promise<number> {
  const webhookUrl = values['webhook-url'];
  if (!webhookUrl) throw new UsageError('--webhook-url URL is required: where GitHub sends deliveries, e.g. https://driftless.example.com/webhooks/github');
  if (!/^https?:\/\/./.test(webhookUrl)) throw new UsageError(`--webhook-url ${JSON.stringify(webhookUrl)} is not an http(s) URL, e.g. https://driftless.example.com/webhooks/github`);
  const port = Number(values.port ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port ${JSON.stringify(values.port)} is not a port number (0 to 65535; 0 picks a free one)`);
  const apiUrl = (values['api-url'] ?? 'https://api.github.com').replace(/\/+$/, '');
  // github.com's API is another host; GitHub Enterprise Server serves it under /api/v3
  const webUrl = (values['github-url'] ?? (apiUrl === 'https://api.github.com' ? 'https://github.com' : apiUrl.replace(/\/api\/v3$/, ''))).replace(/\/+$/, '');
  const outDir = path.resolve(values.out ?? '.');
  const app = await createAppFromManifest({
    webUrl,
    apiUrl,
    org: values.org,
    name: values.name ?? 'Driftless',
    webhookUrl,
    outDir,
    port,
    onReady: (url) => console.log(`Open ${url} in a browser on this machine and confirm the App on GitHub.`),
  });
  console.log(`Created GitHub App ${app.slug} (id ${app.appId}).
  private key:             ${app.keyFile}
  id and webhook secret:   ${app.envFile} (GITHUB_APP_ID, GITHUB_WEBHOOK_SECRET)
Install it on your repositories: ${app.installUrl}
Then, with that environment file loaded, the configuration reads:
  providers:
    github:
      webhookSecret: "\${GITHUB_WEBHOOK_SECRET}"
      app: { appId: "\${GITHUB_APP_ID}", privateKeyFile: ${app.keyFile} }`);
  return 0;
}

function outputFormat(value: string | undefined): OutputFormat {
  const parsed = parseOutputFormat(value);
  if ('error' in parsed) throw new UsageError(parsed.error);
  return parsed.format;
}

/** `driftless 0.1.0 (node v20.19.0)`, or `{ version, nodeVersion }` as JSON or YAML. */
function printVersion(format: OutputFormat): number {
  process.stdout.write(format === 'human' ? `driftless ${buildInfo.version} (node ${buildInfo.nodeVersion})\n` : formatData(buildInfo, format));
  return 0;
}

function target(config: Config, name: string | undefined): TargetConfig {
  if (!name) throw new UsageError('--target T is required');
  const t = config.targets.find((x) => x.name === name);
  if (!t) throw new UsageError(`unknown target ${name}; configured: ${config.targets.map((x) => x.name).join(', ')}`);
  return t;
}

/** The given revision, or the head of the target's branch on the remote. */
async function resolveRevision(config: Config, t: TargetConfig, revision: string | undefined): Promise<string> {
  if (revision) return revision;
  const src = await sourceFor(createProviders(config), t, '');
  const head = await remoteHead(src.cloneUrl, t.branch, src.credentials);
  if (!head) throw new UsageError(`branch ${t.branch} does not exist in ${t.repo.spec}`);
  return head;
}

/**
 * Deploys in this process, through the same reconciler and target lock as the workers: `sync`
 * takes the branch head (or --revision), `rollback` the previous healthy revision (or
 * --revision). A person's request: a revision that failed before is tried again.
 */
async function syncNow(config: Config, t: TargetConfig, kind: 'api' | 'rollback', revision: string | undefined, log: Logger): Promise<number> {
  const rt = createRuntime(config, log, 'worker');
  try {
    const sha = kind === 'rollback' ? (revision ?? (await previousHealthy(rt, t))) : revision;
    const lock = await rt.syncLocks.acquire(t.name);
    if (!lock) throw new DriftlessError(`target ${t.name} is being synced by a worker right now; try again in a moment`);
    const trigger = { kind, deliveryId: `cli-${randomUUID()}`, actor: process.env.USER ?? 'cli' };
    try {
      const result = await reconcileTarget(rt, t, { trigger, revision: sha }, { signal: lock.lost, finalAttempt: () => true });
      if (!('changes' in result)) {
        console.log(`${t.name}: ${result.result === 'skipped' ? result.reason : result.result}`);
        return result.result === 'skipped' ? 1 : 0;
      }
      console.log(`${t.name} @ ${result.revision.slice(0, 7)}${kind === 'rollback' ? ' (rollback)' : ''}\n${formatChanges(result.changes)}`);
      return 0;
    } finally {
      await lock.release();
    }
  } finally {
    await rt.close();
  }
}

/** The newest revision that deployed healthily and is not what runs now. */
async function previousHealthy(rt: Runtime, t: TargetConfig): Promise<string> {
  const { deployed } = await rt.revisions.state(t.name);
  const previous = await rt.history.previousHealthy(t.name, deployed);
  if (!previous) throw new DriftlessError(`${t.name} has no earlier healthy revision in its history; name one with --revision`);
  return previous;
}

/**
 * Plans `revision` (default: the branch head) against the cluster and prints what a sync would
 * change, writing nothing. Exit code as `kubectl diff` and `argocd app diff`: 0 when nothing
 * would be written, 1 when something would (created, adopted, configured, deleted, released);
 * errors exit 2 (see main). JSON/YAML: `{ target, revision, changed, summary, changes }`, the
 * ChangeSet with its diffs, Secret values masked as in every diff.
 */
async function diff(config: Config, t: TargetConfig, revision: string | undefined, format: OutputFormat, log: Logger): Promise<number> {
  const sha = await resolveRevision(config, t, revision);
  const { client, discovery } = connectCluster(config, t.cluster);
  try {
    const source = await sourceFor(createProviders(config), t, sha);
    const { plan } = await planRevision(source, { kube: client, discovery, cacheDir: config.git.cacheDir, log: log.child({ target: t.name, commit: sha }) });
    const changes = planChangeSet(plan);
    const changed = changes.some(isWrite);
    if (format === 'human') console.log(`${t.name} @ ${sha.slice(0, 7)} (plan only, nothing written)\n${formatChanges(changes, { diffs: true })}`);
    else process.stdout.write(formatData({ target: t.name, revision: sha, changed, summary: summarize(changes), changes }, format));
    return changed ? 1 : 0;
  } finally {
    client.close();
  }
}

/** The target's syncs, newest first; JSON/YAML: the HistoryEntry list (times in Unix milliseconds). */
async function history(config: Config, t: TargetConfig, limit: number, format: OutputFormat, log: Logger): Promise<number> {
  const rt = createRuntime(config, log, 'worker');
  try {
    const entries = await rt.history.list(t.name, limit);
    if (format !== 'human') {
      process.stdout.write(formatData(entries, format));
      return 0;
    }
    if (entries.length === 0) console.log(`${t.name}: no syncs recorded`);
    for (const e of entries) {
      const when = new Date(e.finishedAt).toISOString();
      const what = e.summary ? Object.entries(e.summary).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ') : '';
      console.log(`${when}  ${e.revision.slice(0, 7)}  ${e.result.padEnd(10)} ${e.reason && e.result !== 'succeeded' ? `${e.reason} ` : ''}${e.trigger.kind}/${e.trigger.actor}  ${what}${e.message ? `  ${oneLine(e.message)}` : ''}`);
    }
    return 0;
  } finally {
    await rt.close();
  }
}

/** One line per target; JSON/YAML: the TargetStatus list, as `GET /api/targets` has it. */
async function status(config: Config, format: OutputFormat, log: Logger): Promise<number> {
  const rt = createRuntime(config, log, 'worker');
  try {
    const statuses = await targetStatuses(rt);
    if (format !== 'human') process.stdout.write(formatData(statuses, format));
    else for (const s of statuses) console.log(statusLine(s));
    return 0;
  } finally {
    await rt.close();
  }
}

/** A multi-line failure (`plan failed for 2 objects:` then one line each) on one line, objects included. */
function oneLine(text: string, max = 400): string {
  const line = text.replace(/\s*\n\s*(- )?/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

/** One line per target: `shop  github:acme/shop@main  held: rolled back from abc1234; held at def5678 ...`. */
function statusLine(s: TargetStatus): string {
  const short = (sha: string | undefined) => sha?.slice(0, 7) ?? 'none';
  const a = s.lastAttempt;
  const detail =
    s.condition === 'held' && s.held
      ? `rolled back from ${short(s.held.from)}; held at ${short(s.held.at)} until a newer commit (since ${s.held.since})`
      : s.condition === 'failed' && a
        ? `${short(a.revision)} ${a.result}${a.stage ? ` at ${a.stage}` : ''}${a.permanent ? ' (not retried automatically)' : ' (retried by the next reconcile)'}: ${oneLine(a.reason ?? '')}`
        : s.deployed
        ? `${short(s.deployed.sha)} (${s.deployed.at})`
        : '';
  const applied = s.condition !== 'applied' && s.lastAppliedRevision ? `, last applied ${short(s.lastAppliedRevision)}` : '';
  const pending = s.pending.length ? `, ${s.pending.length} pending (newest ${short(s.pending.at(-1))})` : '';
  const lock = s.lock ? `, LOCKED by ${s.lock.repo}#${s.lock.pr} (@${s.lock.user}) since ${s.lock.at}` : '';
  return `${s.target}  ${s.repo}@${s.branch}  ${s.condition}${detail ? `: ${detail}` : ''}${applied}${pending}${lock}`;
}

/** Runs services until SIGTERM/SIGINT, then closes them in order. */
function runUntilSignal(log: Logger, services: Service[]): Promise<number> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'shutting down');
      Promise.all(services.map((s) => s.close())).then(
        () => {
        log.info('stopped');
        // a job handed back at shutdown may still have timers running: do not wait for them
        setTimeout(() => process.exit(0), 200).unref();
        resolve(0);
        },
        (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        resolve(1);
        },
      );
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) console.error(`${err.message}\n\n${usage}`);
    else console.error(err instanceof Error ? err.message : String(err));
    // diff's 1 means "changes", so every error of diff is 2, as kubectl diff and argocd app diff have it
    process.exitCode = err instanceof UsageError || process.argv[2] === 'diff' ? 2 : 1;
  },
);
