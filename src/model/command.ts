/** The comment commands, `/deploy` … `/help`. */
export type CommandName = 'deploy' | 'diff' | 'rollback' | 'sync' | 'lock' | 'unlock' | 'help';
