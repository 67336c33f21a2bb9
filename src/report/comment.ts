import type { DeployResult, FailedPreview, PlannedPreview, PreviewProblem, TargetDeploy, TargetLock, TargetPreview, TargetSection } from '../model/pull-comment.js';
import { commentMarker, markdownLayout } from './comment-markdown.js';
import { commentModel, fitComment } from './comment-model.js';

export { commentMarker };
export type { DeployResult, FailedPreview, PlannedPreview, PreviewProblem, TargetDeploy, TargetLock, TargetPreview, TargetSection };

export interface CommentOptions {
  /** Longest comment the provider accepts, in characters (GitHub 65536, GitLab 1,000,000); the result never exceeds it. */
  maxLength: number;
  /** How the provider links a pull request number: `#` (GitHub, the default) or `!` (GitLab merge requests). */
  referencePrefix?: '#' | '!';
}

/**
 * The whole PR comment: the marker, then one section per target, sorted by name. When it would
 * exceed `maxLength` it is shortened in steps, each kept only if still needed: diffs are replaced
 * by a note, largest first; then object and problem lists are cut short; then the collapsed
 * details, notes and tables go; last, whole targets. The marker always stays, so the next event
 * finds this comment again instead of posting a new one. Throws a RangeError when `maxLength`
 * cannot hold the marker.
 */
export function renderComment(sections: readonly TargetSection[], options: CommentOptions): string {
  const { maxLength } = options;
  if (!Number.isFinite(maxLength) || maxLength < commentMarker.length + 1) {
    throw new RangeError(`maxLength ${maxLength} cannot hold even the comment marker`);
  }
  const targets = commentModel(sections);
  return fitComment(targets, markdownLayout(targets, options.referencePrefix ?? '#'), maxLength);
}
