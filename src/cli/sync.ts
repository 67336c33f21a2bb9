import { randomUUID } from 'node:crypto';
import type { TargetConfig } from '../config/schema.js';
import { DriftlessError } from '../errors.js';
import { formatChanges } from '../report/changeset-text.js';
import { createRuntime, type Runtime } from '../runtime.js';
import { reconcileTarget } from '../workers/sync.js';
import { configure, targetOf } from './context.js';
import { printLine } from './output.js';
import type { CommandLine } from './usage.js';

/** `sync`: deploys the branch head (or --revision) now. */
export const sync = (line: CommandLine) => syncNow(line, 'api');

/** `rollback`: deploys the previous healthy revision (or --revision) now. */
export const rollback = (line: CommandLine) => syncNow(line, 'rollback');

/**
 * Deploys in this process, through the same reconciler and target lock as the workers: `sync`
 * takes the branch head (or --revision), `rollback` the previous healthy revision (or
 * --revision). A person's request: a revision that failed before is tried again.
 */
async function syncNow(line: CommandLine, kind: 'api' | 'rollback'): Promise<number> {
  const { config, log } = await configure(line, 'stderr');
  const t = targetOf(config, line.options.target);
  const revision = line.options.revision;
  const rt = createRuntime(config, log, 'worker');
  try {
    const sha = kind === 'rollback' ? (revision ?? (await previousHealthy(rt, t))) : revision;
    const lock = await rt.syncLocks.acquire(t.name);
    if (!lock) throw new DriftlessError(`target ${t.name} is being synced by a worker right now; try again in a moment`);
    const trigger = { kind, deliveryId: `cli-${randomUUID()}`, actor: process.env.USER ?? 'cli' };
    try {
      const result = await reconcileTarget(rt, t, { trigger, revision: sha }, { signal: lock.lost, finalAttempt: () => true });
      if (!('changes' in result)) {
        printLine(`${t.name}: ${result.result === 'skipped' ? result.reason : result.result}`);
        return result.result === 'skipped' ? 1 : 0;
      }
      printLine(`${t.name} @ ${result.revision.slice(0, 7)}${kind === 'rollback' ? ' (rollback)' : ''}\n${formatChanges(result.changes)}`);
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
