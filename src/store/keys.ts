/** Every Redis key Driftless writes outside BullMQ, under one configurable prefix. */
export function keys(prefix: string) {
  const target = (t: string) => `${prefix}:target:${t}`;
  return {
    pending: (t: string) => `${target(t)}:pending`,
    pendingMeta: (t: string) => `${target(t)}:pending-meta`,
    state: (t: string) => `${target(t)}:state`,
    failures: (t: string) => `${target(t)}:failures`,
    failureMeta: (t: string) => `${target(t)}:failure-meta`,
    settled: (t: string) => `${target(t)}:settled`,
    readPaths: (t: string) => `${target(t)}:read-paths`,
    outcomeToken: (t: string) => `${target(t)}:outcome-token`,
    terminalReport: (t: string, sha: string) => `${target(t)}:terminal:${sha}`,
    history: (t: string) => `${target(t)}:history`,
    lock: (t: string) => `${target(t)}:lock`,
    createLock: (cluster: string) => `${prefix}:cluster:${cluster}:create-lock`,
    delivery: (provider: string, id: string) => `${prefix}:delivery:${provider}:${id}`,
    statusRank: (context: string, sha: string) => `${prefix}:status:${context}:${sha}`,
    commentLock: (provider: string, repo: string, pr: number) => `${prefix}:pr:${provider}:${repo}:${pr}:comment-lock`,
    prLock: (t: string) => `${target(t)}:pr-lock`,
    deploymentLock: (t: string) => `${target(t)}:deployment-lock`,
    prComment: (provider: string, repo: string, pr: number) => `${prefix}:pr:${provider}:${repo}:${pr}:comment`,
    prNotes: (provider: string, repo: string, pr: number, t: string) => `${prefix}:pr:${provider}:${repo}:${pr}:notes:${t}`,
    mergeCommit: (provider: string, repo: string, sha: string) => `${prefix}:merge:${provider}:${repo}:${sha}`,
  };
}
export type Keys = ReturnType<typeof keys>;
