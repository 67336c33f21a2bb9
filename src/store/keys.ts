/** Every Redis key Driftless writes outside BullMQ, under one configurable prefix. */
export function keys(prefix: string) {
  const target = (t: string) => `${prefix}:target:${t}`;
  return {
    pending: (t: string) => `${target(t)}:pending`,
    pendingMeta: (t: string) => `${target(t)}:pending-meta`,
    state: (t: string) => `${target(t)}:state`,
    history: (t: string) => `${target(t)}:history`,
    lock: (t: string) => `${target(t)}:lock`,
    delivery: (provider: string, id: string) => `${prefix}:delivery:${provider}:${id}`,
    statusRank: (t: string, sha: string) => `${prefix}:status:${t}:${sha}`,
  };
}
export type Keys = ReturnType<typeof keys>;
