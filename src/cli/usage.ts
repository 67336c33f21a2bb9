import { parseArgs } from 'node:util';

export const usage = `usage: driftless <command> [options]

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
  status    [--config FILE] [-o json|yaml]   per target: applied, failed, held or never deployed;
                                          the last attempt, pending revisions, lock
  validate-config [FILE]
  version   [-o json|yaml]                Driftless's and Node.js's versions
  completion bash|zsh                     shell completion script: source <(driftless completion bash)
  github-app create --webhook-url URL [--name N] [--org ORG] [--out DIR] [--api-url URL] [--github-url URL] [--port N]
                                          register Driftless's GitHub App through GitHub's manifest flow

--config defaults to $DRIFTLESS_CONFIG, else ./driftless.yaml if it exists, else
/etc/driftless/config/driftless.yaml (where the image and the chart mount it).
Exit codes: 0 done, 1 failed, 2 usage error (diff: 1 means changes, 2 any error).`;

/** A mistake in the command line: printed with the usage, exit 2. */
export class UsageError extends Error {}

const optionSpecs = {
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
} as const;

/** The options every command may take, as given. */
export type Options = Partial<Record<keyof typeof optionSpecs, string>>;

/** A command's part of the command line. */
export interface CommandLine {
  command: string;
  options: Options;
  positionals: string[];
}

/** One command of the CLI; resolves with the process's exit code. */
export type Command = (line: CommandLine) => Promise<number>;

/** Parses what follows the command; a malformed option is a usage error (exit 2), not Node's own message. */
export function parseCommandLine(command: string, args: string[]): CommandLine {
  try {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: optionSpecs });
    return { command, options: values, positionals };
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message.split('. ')[0]! : String(err));
  }
}
