/** A pull request (GitLab: merge request) of one repository. */
export interface PullRef {
  provider: 'github' | 'gitlab';
  repo: string;
  number: number;
}

/** A target held for one pull request: pushes are recorded but their deploys wait. */
export interface PullHold {
  provider: 'github' | 'gitlab';
  repo: string;
  pr: number;
  user: string;
  at: string;
}
