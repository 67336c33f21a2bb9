import path from 'node:path';
import { createAppFromManifest } from '../providers/github/app-setup.js';
import { printLine } from './output.js';
import { UsageError, type CommandLine } from './usage.js';

/**
 * `github-app create`: registers the App through GitHub's manifest flow and says where its
 * credentials went and what the config needs; the key and the secrets are never printed.
 */
export async function githubApp({ positionals, options }: CommandLine): Promise<number> {
  if (positionals[0] !== 'create') throw new UsageError('github-app needs a subcommand: create');
  const webhookUrl = options['webhook-url'];
  if (!webhookUrl) throw new UsageError('--webhook-url URL is required: where GitHub sends deliveries, e.g. https://driftless.example.com/webhooks/github');
  if (!/^https?:\/\/./.test(webhookUrl)) throw new UsageError(`--webhook-url ${JSON.stringify(webhookUrl)} is not an http(s) URL, e.g. https://driftless.example.com/webhooks/github`);
  const port = Number(options.port ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port ${JSON.stringify(options.port)} is not a port number (0 to 65535; 0 picks a free one)`);
  const apiUrl = (options['api-url'] ?? 'https://api.github.com').replace(/\/+$/, '');
  // github.com's API is another host; GitHub Enterprise Server serves it under /api/v3
  const webUrl = (options['github-url'] ?? (apiUrl === 'https://api.github.com' ? 'https://github.com' : apiUrl.replace(/\/api\/v3$/, ''))).replace(/\/+$/, '');
  const outDir = path.resolve(options.out ?? '.');
  const app = await createAppFromManifest({
    webUrl,
    apiUrl,
    org: options.org,
    name: options.name ?? 'Driftless',
    webhookUrl,
    outDir,
    port,
    onReady: (url) => printLine(`Open ${url} in a browser on this machine and confirm the App on GitHub.`),
  });
  printLine(`Created GitHub App ${app.slug} (id ${app.appId}).
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
