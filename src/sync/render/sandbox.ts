import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runChild, type ChildOptions, type ChildResult } from '../child-process.js';

/**
 * Where every proxy variable points: a closed port on the loopback interface. Go's and git's HTTP
 * clients honour it, so a request to any non-loopback host (cloud metadata, the internal
 * network, the internet) fails at once. Loopback addresses bypass proxies in Go; the input check
 * (kustomize-inputs.ts) is what keeps a repository from naming any URL at all.
 */
const NOWHERE = 'http://127.0.0.1:9';

/**
 * The whole environment of a renderer: nothing of the worker's (no tokens, no kubeconfig, no
 * cloud credentials), an empty HOME, every proxy pointing nowhere, and git with no protocol
 * allowed (GIT_ALLOW_PROTOCOL is an allowlist; empty allows none) and no user or system config.
 */
export function sandboxEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    GIT_ALLOW_PROTOCOL: '',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: os.devNull,
    GIT_TERMINAL_PROMPT: '0',
    NO_PROXY: '',
    no_proxy: '',
  };
  for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY']) {
    env[name] = NOWHERE;
    env[name.toLowerCase()] = NOWHERE;
  }
  // to find the renderer's own helpers; the binary itself is named by the config
  if (process.env.PATH !== undefined) env.PATH = process.env.PATH;
  return env;
}

/** Options for one sandboxed run (see `ChildOptions`); the environment is always the sandbox's. */
export type SandboxOptions = Omit<ChildOptions, 'env'> & { cwd: string };

/**
 * Runs `file args` with the sandbox environment (a fresh empty HOME, removed afterwards) in its
 * own process group, so a timeout or an output over the limit kills it and anything it spawned.
 */
export async function runSandboxed(file: string, args: readonly string[], options: SandboxOptions): Promise<ChildResult> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'driftless-render-home-'));
  try {
    return await runChild(file, args, { ...options, env: sandboxEnv(home) });
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}
