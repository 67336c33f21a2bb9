import { randomUUID } from 'node:crypto';
import type { TargetConfig } from '../config/schema.js';
import { authorize, type PullFacts } from '../commands/authorize.js';
import type { Trigger } from '../model/trigger.js';
import type { Providers } from '../providers/index.js';
import { ProviderError } from '../providers/types.js';
import { jobId, type JobQueue, type SyncJobs } from '../queue/jobs.js';
import type { ActionLog, ActionRecord } from '../store/actions.js';
import type { HistoryStore } from '../store/history.js';
import type { PullHoldStore } from '../store/holds.js';
import type { RevisionStore } from '../store/revisions.js';
import { permissionOn, type PermissionDeps } from './auth/permissions.js';
import type { Principal } from './auth/principal.js';

/** What a person or token can do to a target from the dashboard or the API. */
export type ActionName = ActionRecord['action'];
export const actionNames: readonly ActionName[] = ['sync', 'rollback', 'lock', 'unlock'];

/** One action as asked: a rollback names the revision to go back to, a lock the pull request it holds the target for. */
export interface ActionRequest {
  action: ActionName;
  target: TargetConfig;
  /** Rollback: a revision of the target's history (a prefix of 7 or more characters will do); without one, the previous healthy revision. */
  revision?: string;
  /** Lock: the open pull request into the target's branch that holds it. */
  pr?: number;
  via: ActionRecord['via'];
}

/** How an action ended: the HTTP status says which (202 queued, 200 done, 403 refused, 409 conflict, 422 impossible). */
export interface ActionResult {
  status: 200 | 202 | 403 | 409 | 422;
  message: string;
  /** The delivery id of the sync it enqueued, which its history entry carries. */
  deliveryId?: string;
}

/** What actions read and write: the permission lookup, history, revision state, holds, the sync queue and the action log. */
export interface ActionDeps extends PermissionDeps {
  providers: Providers;
  history: Pick<HistoryStore, 'list' | 'previousHealthy'>;
  revisions: Pick<RevisionStore, 'state'>;
  holds: Pick<PullHoldStore, 'hold' | 'holder' | 'release'>;
  sync: JobQueue<SyncJobs>;
  actions: Pick<ActionLog, 'record'>;
}

/** How many history entries a named revision is looked up in, as for `/rollback <sha>`. */
const historyDepth = 200;

/**
 * The dashboard acts on the target itself, the way a comment on a pull request from the same
 * repository into the target's branch does: for sync, rollback and unlock (allowed from a pull
 * request in any state) that is the whole of the pull request's part in `authorize`. A lock is
 * taken for a real pull request, whose facts the provider reports.
 */
const onTheTarget = (target: TargetConfig): PullFacts => ({ state: 'open', fork: false, base: { ref: target.branch } });

/**
 * Runs one action for `principal`, authorized exactly as the comment command of the same effect
 * (`authorize`: allowUsers, the permission level the target's `commands` set, the pull request's
 * state and base for a lock), and records it, refused or not, in the action log. A sync or a
 * rollback is a sync job whose trigger names the person, so history records who asked. Throws
 * when the Git host or Redis does not answer (the caller answers 503).
 */
export async function runAction(deps: ActionDeps, principal: Principal, request: ActionRequest): Promise<ActionResult> {
  const { action, target } = request;
  const deliveryId = `${request.via}-${randomUUID()}`;
  const base = { target: target.name, action, actor: principal.actor, via: request.via, at: Date.now() };
  const end = async (result: ActionResult, extra: Partial<ActionRecord> = {}): Promise<ActionResult> => {
    const outcome: ActionRecord['result'] = result.status === 202 ? 'queued' : result.status === 200 ? 'done' : 'refused';
    await deps.actions.record({ ...base, ...extra, result: outcome, message: result.message, ...(outcome === 'queued' ? { deliveryId } : {}) });
    return result;
  };

  let facts = onTheTarget(target);
  if (action === 'lock') {
    if (!Number.isSafeInteger(request.pr) || request.pr! <= 0) return end({ status: 422, message: 'a lock needs the number of the open pull request it holds the target for' });
    const provider = deps.providers[target.repo.provider];
    if (!provider) return end({ status: 422, message: `providers.${target.repo.provider} is not configured` }, { pr: request.pr });
    try {
      facts = await provider.pullRequest(target.repo.path, request.pr!);
    } catch (err) {
      if (err instanceof ProviderError && err.status === 404) return end({ status: 422, message: `${target.repo.path} has no pull request ${request.pr}` }, { pr: request.pr });
      throw err;
    }
  }
  const permission = await permissionOn(deps, principal, target);
  const verdict = authorize({ command: action, effect: action, target, user: principal.actor, permission, pr: facts });
  if (!verdict.allowed) return end({ status: 403, message: verdict.reason }, { revision: request.revision, pr: request.pr });

  const trigger = (kind: Trigger['kind']): Trigger => ({ kind, deliveryId, actor: principal.actor });
  const enqueue = (kind: Trigger['kind'], revision?: string) =>
    deps.sync.add('sync', { target: target.name, revision, trigger: trigger(kind) }, { jobId: jobId('api', deliveryId, target.name, action) });
  switch (action) {
    case 'sync':
      // a person's sync of the branch head: retried even if it failed before
      await enqueue('api');
      return end({ status: 202, message: `${principal.actor} asked for a sync of ${target.branch}`, deliveryId });
    case 'rollback': {
      const revision = await rollbackRevision(deps, target, request.revision);
      if ('refused' in revision) return end({ status: 422, message: revision.refused }, { revision: request.revision });
      await enqueue('rollback', revision.sha);
      return end({ status: 202, message: `${principal.actor} is rolling back to ${revision.sha.slice(0, 7)}`, deliveryId }, { revision: revision.sha });
    }
    case 'lock': {
      const hold = { provider: target.repo.provider, repo: target.repo.path, pr: request.pr!, user: principal.actor, at: new Date().toISOString() };
      const holder = await deps.holds.hold(target.name, hold);
      if (holder) return end({ status: 409, message: `${target.name} is locked by pull request ${holder.pr} (@${holder.user}); it must be unlocked or closed first` }, { pr: request.pr });
      return end({ status: 200, message: `${principal.actor} locked ${target.name} for pull request ${request.pr}: deploys of ${target.branch} wait until it is unlocked` }, { pr: request.pr });
    }
    case 'unlock': {
      const holder = await deps.holds.holder(target.name);
      if (!holder) return end({ status: 200, message: `${target.name} was not locked` });
      await deps.holds.release(target.name, { provider: holder.provider, repo: holder.repo, number: holder.pr });
      // the newest revision that waited behind the lock deploys now
      await enqueue('api');
      return end({ status: 202, message: `${principal.actor} unlocked ${target.name}`, deliveryId }, { pr: holder.pr });
    }
  }
}

/** The revision a rollback deploys: the one named (from history, never fetched otherwise), or the previous healthy one. */
async function rollbackRevision(deps: ActionDeps, target: TargetConfig, named: string | undefined): Promise<{ sha: string } | { refused: string }> {
  if (named !== undefined) {
    if (!/^[0-9a-f]{7,64}$/i.test(named)) return { refused: `expected a commit id of 7 to 64 hex digits, got ${JSON.stringify(named.slice(0, 80))}` };
    const sha = (await deps.history.list(target.name, historyDepth)).map((e) => e.revision).find((r) => r.startsWith(named.toLowerCase()));
    return sha ? { sha } : { refused: `${target.name} never deployed ${named}` };
  }
  const { deployed } = await deps.revisions.state(target.name);
  const previous = await deps.history.previousHealthy(target.name, deployed);
  return previous ? { sha: previous } : { refused: `${target.name} has no earlier healthy revision to roll back to` };
}
