import { readFile } from 'node:fs/promises';
import { load } from 'js-yaml';
import { resolveConfigPath } from './config-path.js';
import { printLine } from './output.js';
import { UsageError, type CommandLine } from './usage.js';

/** What an option's value completes to: a file, a configured target, one of a few words, or nothing. */
type ValueKind = 'file' | 'target' | 'none' | readonly string[];

interface OptionSpec {
  short?: string;
  help: string;
  value: ValueKind;
}

const options = {
  config: { short: 'c', help: 'config file', value: 'file' },
  target: { short: 't', help: 'target name', value: 'target' },
  revision: { short: 'r', help: 'commit id', value: 'none' },
  output: { short: 'o', help: 'output format', value: ['json', 'yaml'] },
  limit: { help: 'number of entries', value: 'none' },
  'webhook-url': { help: 'where GitHub sends deliveries', value: 'none' },
  name: { help: 'App name', value: 'none' },
  org: { help: 'organization that owns the App', value: 'none' },
  out: { help: 'folder for the key and the environment file', value: 'file' },
  'api-url': { help: 'GitHub API URL', value: 'none' },
  'github-url': { help: 'GitHub web URL', value: 'none' },
  port: { help: 'local port of the manifest flow', value: 'none' },
} as const satisfies Record<string, OptionSpec>;

type OptionName = keyof typeof options;

/** One command as completion offers it: its options and the words its first argument takes. */
interface CommandSpec {
  name: string;
  summary: string;
  options: readonly OptionName[];
  /** Completions of the first positional argument. */
  argument?: ValueKind;
}

/** Every command of the CLI, in the order `driftless` prints its usage. */
export const commandSpecs: readonly CommandSpec[] = [
  { name: 'serve', summary: 'webhooks, API, dashboard, metrics (HTTP)', options: ['config'] },
  { name: 'worker', summary: 'sync and report workers', options: ['config'] },
  { name: 'all', summary: 'web and workers in one process', options: ['config'] },
  { name: 'sync', summary: 'deploy now', options: ['config', 'target', 'revision'] },
  { name: 'rollback', summary: 'deploy the previous healthy revision', options: ['config', 'target', 'revision'] },
  { name: 'diff', summary: 'what a sync would change', options: ['config', 'target', 'revision', 'output'] },
  { name: 'history', summary: 'a target\u2019s syncs', options: ['config', 'target', 'limit', 'output'] },
  { name: 'status', summary: 'where each target stands', options: ['config', 'output'] },
  { name: 'validate-config', summary: 'check a config file', options: [], argument: 'file' },
  { name: 'version', summary: 'Driftless and Node.js versions', options: ['output'] },
  { name: 'completion', summary: 'shell completion script', options: [], argument: ['bash', 'zsh'] },
  { name: 'github-app', summary: 'register the GitHub App', options: ['webhook-url', 'name', 'org', 'out', 'api-url', 'github-url', 'port'], argument: ['create'] },
];

const flags = (name: OptionName): string[] => {
  const spec: OptionSpec = options[name];
  return spec.short ? [`--${name}`, `-${spec.short}`] : [`--${name}`];
};

/**
 * The bash completion script: `source <(driftless completion bash)`, or save it as
 * `/etc/bash_completion.d/driftless`. Completes commands, options, `-o` formats, files, and
 * `--target` from the config file the line names (or the default one).
 */
export function bashCompletion(): string {
  const valueCases = (kind: 'file' | 'target' | 'none') =>
    (Object.keys(options) as OptionName[])
      .filter((n) => options[n].value === kind)
      .flatMap(flags)
      .join('|');
  const wordCases = (Object.keys(options) as OptionName[])
    .filter((n) => Array.isArray(options[n].value))
    .map((n) => `    ${flags(n).join('|')}) COMPREPLY=($(compgen -W "${(options[n].value as readonly string[]).join(' ')}" -- "$cur")); return ;;`);
  const commandCases = commandSpecs.map((c) => {
    const words = c.options.flatMap((n) => `--${n}`).join(' ');
    const argument = c.argument === 'file' ? ' $(compgen -f -- "$cur")' : Array.isArray(c.argument) ? ` $(compgen -W "${c.argument.join(' ')}" -- "$cur")` : '';
    return `    ${c.name}) COMPREPLY=($(compgen -W "${words}" -- "$cur")${argument}) ;;`;
  });
  return `# bash completion for driftless: source <(driftless completion bash)
# or save as /etc/bash_completion.d/driftless
_driftless() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} config= i
  COMPREPLY=()
  if ((COMP_CWORD == 1)); then
    COMPREPLY=($(compgen -W "${commandSpecs.map((c) => c.name).join(' ')}" -- "$cur"))
    return
  fi
  for ((i = 2; i < COMP_CWORD; i++)); do
    case \${COMP_WORDS[i]} in --config|-c) config=\${COMP_WORDS[i+1]} ;; esac
  done
  case $prev in
    ${valueCases('file')}) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    ${valueCases('target')}) COMPREPLY=($(compgen -W "$("\${COMP_WORDS[0]}" __complete targets \${config:+--config "$config"} 2>/dev/null)" -- "$cur")); return ;;
${wordCases.join('\n')}
    ${valueCases('none')}) return ;;
  esac
  case \${COMP_WORDS[1]} in
${commandCases.join('\n')}
  esac
}
complete -o default -F _driftless driftless
`;
}

/**
 * The zsh completion script: `source <(driftless completion zsh)` after `compinit`, or save it
 * as `_driftless` in a folder of `$fpath`. Same completions as bash, with descriptions.
 */
export function zshCompletion(): string {
  const quote = (s: string) => s.replace(/'/g, `'\\''`).replace(/[[\]:]/g, '\\$&');
  const action = (kind: ValueKind) => (kind === 'file' ? '_files' : kind === 'target' ? '_driftless_targets' : kind === 'none' ? ' ' : `(${kind.join(' ')})`);
  const spec = (n: OptionName) => {
    const o: OptionSpec = options[n];
    const names = flags(n);
    const head = names.length > 1 ? `'(${names.join(' ')})'{${names.join(',')}}'` : `'${names[0]}`;
    return `${head}[${quote(o.help)}]:${n}:${action(o.value)}'`;
  };
  const cases = commandSpecs.map((c) => {
    const args = [...c.options.map(spec), ...(c.argument ? [`'1:argument:${action(c.argument)}'`] : [])];
    return `    ${c.name}) _arguments ${args.join(' ')} ;;`;
  });
  return `#compdef driftless
# zsh completion for driftless: source <(driftless completion zsh) after compinit,
# or save as _driftless in a folder of $fpath
_driftless_targets() {
  local config=\${opt_args[--config]:-\${opt_args[-c]}}
  local -a targets
  targets=(\${(f)"$(\${words[1]} __complete targets \${config:+--config "$config"} 2>/dev/null)"})
  _describe target targets
}
_driftless() {
  local -a commands
  commands=(${commandSpecs.map((c) => `'${c.name}:${quote(c.summary)}'`).join(' ')})
  if ((CURRENT == 2)); then
    _describe command commands
    return
  fi
  local command=\${words[2]}
  words=(\${words[1]} \${words[3,-1]})
  ((CURRENT--))
  case $command in
${cases.join('\n')}
  esac
}
if [[ \${funcstack[1]} == _driftless ]]; then _driftless "$@"; else compdef _driftless driftless; fi
`;
}

/**
 * Target names of a config file, for completing `--target`: read from the YAML as it is, with
 * no environment substitution and no validation (a shell completing a word has neither the
 * secrets nor a use for the errors). Unreadable or malformed files give none.
 */
export async function configuredTargetNames(file: string): Promise<string[]> {
  try {
    const config = load(await readFile(file, 'utf8')) as { targets?: { name?: unknown }[] } | null;
    return (config?.targets ?? []).map((t) => t?.name).filter((n): n is string => typeof n === 'string');
  } catch {
    return [];
  }
}

/** `completion bash|zsh`: prints the shell's completion script. */
export async function completion({ positionals }: CommandLine): Promise<number> {
  const shell = positionals[0];
  if (shell !== 'bash' && shell !== 'zsh') throw new UsageError('completion needs a shell: bash or zsh');
  process.stdout.write(shell === 'bash' ? bashCompletion() : zshCompletion());
  return 0;
}

/** `__complete targets`: called by the completion scripts for --target; prints nothing rather than an error. */
export async function complete({ positionals, options }: CommandLine): Promise<number> {
  const file = positionals[0] === 'targets' ? resolveConfigPath(options.config) : undefined;
  if (file) for (const name of await configuredTargetNames(file)) printLine(name);
  return 0;
}
