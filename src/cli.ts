#!/usr/bin/env node
import { parseCommandLine, usage, UsageError, type Command } from './cli/usage.js';

/**
 * Each command's module, loaded when it runs: `serve` holds the web's code only and `worker`
 * the workers' (the kube client, git, helm, the providers' clients), not the other's.
 */
const commands = new Map<string, () => Promise<Command>>([
  ['serve', async () => (await import('./cli/serve.js')).serve],
  ['worker', async () => (await import('./cli/worker.js')).worker],
  ['all', async () => (await import('./cli/all.js')).all],
  ['sync', async () => (await import('./cli/sync.js')).sync],
  ['rollback', async () => (await import('./cli/sync.js')).rollback],
  ['diff', async () => (await import('./cli/diff.js')).diff],
  ['history', async () => (await import('./cli/history.js')).history],
  ['status', async () => (await import('./cli/status.js')).status],
  ['validate-config', async () => (await import('./cli/validate-config.js')).validateConfig],
  ['version', async () => (await import('./cli/version.js')).version],
  ['--version', async () => (await import('./cli/version.js')).version],
  ['completion', async () => (await import('./cli/completion.js')).completion],
  ['__complete', async () => (await import('./cli/completion.js')).complete],
  ['github-app', async () => (await import('./cli/github-app.js')).githubApp],
]);

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h' || rest.includes('--help') || rest.includes('-h')) {
    // asked for, usage is the answer (stdout, 0); without a command it is a usage error (stderr, 2)
    if (command === undefined) console.error(usage);
    else console.log(usage);
    return command === undefined ? 2 : 0;
  }
  const line = parseCommandLine(command, rest);
  const load = commands.get(command);
  if (!load) throw new UsageError(command ? `unknown command ${command}` : 'no command');
  return (await load())(line);
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
