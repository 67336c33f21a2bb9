import type { CommentEvent, PullRequestEvent, PushEvent } from '../../src/providers/types.js';

// Neutral events as the providers' webhook parsers produce them, for tests of what comes after
// (routing, intake): a push to main of acme/shop on GitHub, pull request 7 into main, a comment on it.

export const pushEvent = (over: Partial<PushEvent> = {}): PushEvent => ({
  kind: 'push',
  provider: 'github',
  repo: 'acme/shop',
  ref: 'refs/heads/main',
  after: 'b'.repeat(40),
  changedPaths: ['deploy/prod/web.yaml'],
  actor: 'dev',
  deleted: false,
  ...over,
});

export const pullRequestEvent = (over: Partial<PullRequestEvent> = {}): PullRequestEvent => ({
  kind: 'pull_request',
  provider: 'github',
  repo: 'acme/shop',
  action: 'opened',
  number: 7,
  head: { sha: 'c'.repeat(40), ref: 'feature' },
  base: { ref: 'main' },
  fork: false,
  actor: 'dev',
  ...over,
});

export const commentEvent = (over: Partial<CommentEvent> = {}): CommentEvent => ({ kind: 'comment', provider: 'github', repo: 'acme/shop', pr: 7, commentId: 11, author: 'dev', body: '/deploy', ...over });
