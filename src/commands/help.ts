import type { CommandName } from '../model/command.js';
import { asciiCode } from '../text/markdown.js';

/** What each comment command takes and does; the order is the order of the help text. */
const COMMANDS: Record<CommandName, { args: string; summary: string }> = {
  deploy: { args: '[target] [sha]', summary: "deploys this pull request's head commit, or the given commit, to the target" },
  diff: { args: '[target]', summary: 'shows what deploying this pull request would change; every target when none is given' },
  rollback: { args: '[target] [sha]', summary: 'deploys the previous healthy revision, or the given commit, to the target' },
  sync: { args: '[target]', summary: "deploys the branch head now and heals drift; every target when none is given" },
  lock: { args: '[target]', summary: 'holds deploys to the target until it is unlocked; every target when none is given' },
  unlock: { args: '[target]', summary: 'lets deploys to the target run again; every target when none is given' },
  help: { args: '', summary: 'shows this help' },
};

/** At most this many targets are listed in a reply; a long list is cut with "and N more". */
const MAX_LISTED_TARGETS = 30;

/** The usage line of one command, as inline markdown: `` `/deploy [target] [sha]` ``. */
export function usage(name: CommandName): string {
  const { args } = COMMANDS[name];
  return `\`/${name}${args ? ` ${args}` : ''}\``;
}

/** A markdown list of every command with its usage and what it does. */
export function commandList(): string {
  return (Object.keys(COMMANDS) as CommandName[]).map((name) => `- ${usage(name)}: ${COMMANDS[name].summary}`).join('\n');
}

/** The targets as inline code, comma-separated; long lists are cut. */
export function targetList(targets: readonly string[]): string {
  if (targets.length === 0) return 'none';
  const shown = targets.slice(0, MAX_LISTED_TARGETS).map(asciiCode).join(', ');
  const more = targets.length - MAX_LISTED_TARGETS;
  return more > 0 ? `${shown} and ${more} more` : shown;
}

/** The reply to `/help`: every command, the rules for arguments and the targets of this repository. */
export function helpText(targets: readonly string[]): string {
  const targetRule =
    targets.length === 1
      ? `This repository has one target, ${asciiCode(targets[0] ?? '')}, so \`target\` may be left out.`
      : '`target` is required by `/deploy` and `/rollback`; the other commands act on every target when it is left out.';
  return [
    '**Driftless commands**',
    '',
    'Write the command at the start of the first line of a new comment.',
    '',
    commandList(),
    '',
    `${targetRule} \`sha\` is a commit id of 7 to 40 hex digits.`,
    '',
    `Targets: ${targetList(targets)}`,
  ].join('\n');
}
