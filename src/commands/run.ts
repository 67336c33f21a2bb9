import { commentJob, type CommandJobData } from '../queue/jobs.js';
import type { JobContext } from '../queue/processor.js';
import type { PullRef } from '../model/pull.js';
import { targetsOfRepo } from '../events/route.js';
import { authorize, type Effect } from './authorize.js';
import { parseComment } from './parser.js';
import { effectFor, revisionFor, runners, type CommandDeps, type TargetRequest } from './runners.js';

/**
 * Parses, acknowledges, authorizes and runs one comment command; refusals are answered with the
 * reason. The pull request is read from the provider as it is now (state, base branch, head),
 * each target's request is resolved to what it would do, and every request is authorized by
 * that effect before anything runs: a command runs on all its targets or on none.
 */
export async function runCommand(job: Pick<JobContext<CommandJobData>, 'data' | 'log'>, deps: CommandDeps): Promise<unknown> {
  const { comment, deliveryId } = job.data;
  const provider = deps.providers[comment.provider];
  if (!provider) return { skipped: `providers.${comment.provider} is not configured` };
  const repoTargets = targetsOfRepo(deps.targets, comment);
  const parsed = parseComment(comment.body, { targets: repoTargets.map((t) => t.name) });
  if (parsed.kind === 'ignore') return { ignored: true };
  const log = job.log.child({ author: comment.author });
  const reply = async (body: string) => provider.replyToPullRequest(comment.repo, comment.pr, body);
  // the acknowledgement is a courtesy: a failed reaction must not cost the command
  if (comment.commentId !== undefined) await provider.acknowledgeComment(comment.repo, comment.pr, comment.commentId).catch((err: unknown) => log.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not acknowledge the comment'));
  if (parsed.kind === 'reply') {
    await reply(parsed.message);
    return { replied: parsed.reason };
  }
  const { command } = parsed;
  const pr: PullRef = { provider: comment.provider, repo: comment.repo, number: comment.pr };
  const info = await provider.pullRequest(comment.repo, comment.pr);
  const context = { deps, provider, comment, pr, info, command, repoTargets, deliveryId, log };
  if (command.name === 'help') {
    const outcome = await runners.help({ ...context, requests: [] });
    if ('reply' in outcome) await reply(outcome.reply);
    return { replied: 'help' };
  }
  // without a target, a command means every target this pull request is into
  const targets = command.target ? repoTargets.filter((t) => t.name === command.target) : repoTargets.filter((t) => t.branch === info.base.ref);
  if (targets.length === 0) {
    await reply(`Not running \`/${command.name}\`: no target of this repository deploys \`${info.base.ref}\`, the branch this pull request is into.`);
    return { refused: ['no target follows the base branch'] };
  }
  const permission = await provider.permission(comment.repo, comment.author);
  // authorized by effect first: a refused user learns nothing of the target's history
  const effects = await Promise.all(targets.map((target) => effectFor(deps, info, command, target)));
  const refusals = targets.flatMap((target, i) => {
    const verdict = authorize({ command: command.name, effect: effects[i]!, target, user: comment.author, permission, pr: info });
    return verdict.allowed ? [] : [verdict.reason];
  });
  if (refusals.length > 0) {
    log.info({ command: command.name, refusals }, 'command refused');
    await reply(`Not running \`/${command.name}\`: ${refusals.join('; ')}.`);
    return { refused: refusals };
  }
  const planned: { effect: Effect; request: TargetRequest }[] = [];
  for (const [i, target] of targets.entries()) {
    const resolved = await revisionFor(deps, info, command, target);
    if ('reply' in resolved) {
      await reply(resolved.reply);
      return { replied: command.name };
    }
    planned.push({ effect: effects[i]!, request: { target, ...resolved } });
  }
  const notes: { target: string; note: string }[] = [];
  for (const effect of new Set(planned.map((p) => p.effect))) {
    const requests = planned.filter((p) => p.effect === effect).map((p) => p.request);
    const outcome = await runners[effect]({ ...context, requests });
    if ('reply' in outcome) {
      await reply(outcome.reply);
      return { replied: command.name };
    }
    notes.push(...outcome.notes);
  }
  log.info({ command: command.name, effects: [...new Set(planned.map((p) => p.effect))], targets: targets.map((t) => t.name) }, 'command accepted');
  for (const n of notes) await deps.pulls.addNote(pr, n.target, n.note);
  const render = commentJob(pr, pr.provider, pr.repo, String(pr.number), deliveryId);
  await deps.queues.report.add(render.name, render.data, render.opts);
  return { ran: command.name };
}
