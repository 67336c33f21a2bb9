/** Credentials for HTTPS clone URLs: GitHub uses `x-access-token`, GitLab `oauth2`. */
export interface GitCredentials {
  username: string;
  token: string;
}

/** Where a repository is fetched from: its clone URL and, for a private one, the credentials. */
export interface GitSource {
  cloneUrl: string;
  credentials?: GitCredentials;
}
