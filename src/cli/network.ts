import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { rootCertificates } from 'node:tls';
import type { EnvHttpProxyAgent, ProxyAgent } from 'undici';
import { ConfigError } from '../errors.js';

/** Whether the environment names an HTTP(S) proxy, in either spelling. */
const proxied = (env: NodeJS.ProcessEnv) => ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'].some((name) => env[name]);

/**
 * Makes this process's outgoing HTTPS follow the proxy and CA settings, once at start-up:
 * - Node's `fetch` (Octokit, gitbeaker, chart repositories, notifications, OAuth) goes through
 *   `HTTPS_PROXY` / `HTTP_PROXY` except for hosts in `NO_PROXY` (undici's EnvHttpProxyAgent,
 *   installed as the global dispatcher, which Node's own fetch uses), and trusts `caFile`
 *   besides Node's built-in authorities. `NODE_EXTRA_CA_CERTS` works too, set before Node starts.
 * - git gets `GIT_SSL_CAINFO`: Node's authorities plus `caFile`, written once to
 *   `<cacheDir>/ca-<sha256>.pem`; its proxy variables come from the environment (see gitNetworkEnv).
 * The Kubernetes client is left alone: it reaches API servers directly. An unreadable `caFile`
 * is a ConfigError naming `configFile`. Without a proxy or `caFile`, undici (a second copy of
 * Node's own fetch, ~10 MB) is not loaded.
 */
export async function configureNetwork(git: { caFile?: string; cacheDir: string }, configFile: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let ca: string[] | undefined;
  if (git.caFile) {
    let extra: string;
    try {
      extra = readFileSync(git.caFile, 'utf8');
    } catch (err) {
      throw new ConfigError(configFile, [{ path: 'git.caFile', message: `cannot read ${git.caFile}: ${(err as Error).message}` }]);
    }
    if (!extra.includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError(configFile, [{ path: 'git.caFile', message: `${git.caFile} holds no PEM certificate` }]);
    ca = [...rootCertificates, extra];
    const bundle = ca.join('\n');
    const file = path.join(git.cacheDir, `ca-${createHash('sha256').update(bundle).digest('hex').slice(0, 16)}.pem`);
    mkdirSync(git.cacheDir, { recursive: true });
    // processes sharing the cache write the same bytes; the rename makes each write whole
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, bundle);
    renameSync(temp, file);
    env.GIT_SSL_CAINFO = file;
  }
  if (!proxied(env) && !ca) return;
  const { EnvHttpProxyAgent: Agent, setGlobalDispatcher } = await import('undici');
  // EnvHttpProxyAgent hands its options to the ProxyAgents it makes: requestTls is TLS to the host through the tunnel
  const options: EnvHttpProxyAgent.Options & Pick<ProxyAgent.Options, 'requestTls' | 'proxyTls'> = ca ? { connect: { ca }, requestTls: { ca }, proxyTls: { ca } } : {};
  setGlobalDispatcher(new Agent(options));
}
