/** A pull request (GitLab: merge request) of one repository. */
export interface PullRef {
  provider: 'github' | 'gitlab';
  repo: string;
  number: number;
}
