import type { Config, TargetConfig } from '../config/schema.js';
import { createProviders, sourceFor } from '../providers/index.js';
import { formatChanges } from '../report/changeset-text.js';
import { connectCluster } from '../runtime.js';
import { isWrite, summarize } from '../sync/changeset.js';
import { remoteHead } from '../sync/fetch.js';
import { planRevision } from '../sync/pipeline.js';
import { planChangeSet } from '../sync/plan.js';
import { configure, targetOf } from './context.js';
import { formatData, printLine } from './output.js';
import { UsageError, type CommandLine } from './usage.js';

/**
 * `diff`: plans --revision (default: the branch head) against the cluster and prints what a
 * sync would change, writing nothing. Exit code as `kubectl diff` and `argocd app diff`: 0 when
 * nothing would be written, 1 when something would (created, adopted, configured, deleted,
 * released); errors exit 2 (see the CLI's entry point). JSON/YAML: `{ target, revision,
 * changed, summary, changes }`, the ChangeSet with its diffs, Secret values masked as in every diff.
 */
export async function diff(line: CommandLine): Promise<number> {
  const { config, format, log } = await configure(line, 'stderr');
  const t = targetOf(config, line.options.target);
  const sha = await resolveRevision(config, t, line.options.revision);
  const { client, discovery } = connectCluster(config, t.cluster);
  try {
    const source = await sourceFor(createProviders(config), t, sha);
    const { plan } = await planRevision(source, { kube: client, discovery, cacheDir: config.git.cacheDir, log: log.child({ target: t.name, commit: sha }) });
    const changes = planChangeSet(plan);
    const changed = changes.some(isWrite);
    if (format === 'human') printLine(`${t.name} @ ${sha.slice(0, 7)} (plan only, nothing written)\n${formatChanges(changes, { diffs: true })}`);
    else process.stdout.write(formatData({ target: t.name, revision: sha, changed, summary: summarize(changes), changes }, format));
    return changed ? 1 : 0;
  } finally {
    client.close();
  }
}

/** The given revision, or the head of the target's branch on the remote. */
async function resolveRevision(config: Config, t: TargetConfig, revision: string | undefined): Promise<string> {
  if (revision) return revision;
  const src = await sourceFor(createProviders(config), t, '');
  const head = await remoteHead(src.cloneUrl, t.branch, src.credentials);
  if (!head) throw new UsageError(`branch ${t.branch} does not exist in ${t.repo.spec}`);
  return head;
}
