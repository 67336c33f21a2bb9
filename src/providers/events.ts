import type { ReceivedEvent } from './types.js';

/** A merge request or pull request changed in a way that matters to previews and deploys. */
export interface PullRequestEvent {
  kind: 'pull_request';
  provider: 'github' | 'gitlab';
  /** Provider path of the base (target) repository, e.g. `acme/platform/shop`. */
  repo: string;
  /** The provider's numeric id of `repo`, when it has one (GitLab project id), as a string. */
  repoId?: string;
  /** `updated` means new commits (or a new base branch), not a title or label edit. */
  action: 'opened' | 'reopened' | 'updated' | 'closed' | 'merged';
  /** Pull request number on GitHub, merge request iid on GitLab. */
  number: number;
  /** `sha` is empty only when a closed or merged request no longer knows its head commit. */
  head: { sha: string; ref: string };
  base: { ref: string };
  /** The head lives in another repository than the base. */
  fork: boolean;
  actor: string;
  /** Clone URL of the head repository from the payload; informative only, never given credentials. */
  cloneUrl?: string;
}

/** A new comment on a pull request or merge request, the carrier of `/deploy` and friends. */
export interface CommentEvent {
  kind: 'comment';
  provider: 'github' | 'gitlab';
  /** Provider path of the repository, e.g. `acme/platform/shop`. */
  repo: string;
  /** The provider's numeric id of `repo`, when it has one (GitLab project id), as a string. */
  repoId?: string;
  /** Pull request number on GitHub, merge request iid on GitLab. */
  pr: number;
  /** Id of the comment (GitLab note id), for reactions and replies. */
  commentId: number;
  /** Login (GitHub) or username (GitLab) of the comment's author. */
  author: string;
  body: string;
}

/** Every neutral event a provider turns a delivery into. */
export type NeutralEvent = ReceivedEvent | PullRequestEvent | CommentEvent;
