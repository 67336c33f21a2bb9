import { createReadRuntime } from '../runtime.js';
import { targetStatuses, type TargetStatus } from '../store/target-status.js';
import { configure } from './context.js';
import { formatData, oneLine, printLine } from './output.js';
import type { CommandLine } from './usage.js';

/** `status`: one line per target; JSON/YAML: `{ targets: TargetStatus[] }`, the same document as `GET /api/targets`. */
export async function status(line: CommandLine): Promise<number> {
  const { config, format, log } = await configure(line, 'stderr');
  const rt = createReadRuntime(config, log);
  try {
    const statuses = await targetStatuses(rt);
    if (format !== 'human') process.stdout.write(formatData({ targets: statuses }, format));
    else for (const s of statuses) printLine(statusLine(s));
    return 0;
  } finally {
    await rt.close();
  }
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
