import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';

/** Records the rank about to be posted unless a higher one was posted already. */
const claimRank = `
local current = tonumber(redis.call('get', KEYS[1]) or '-1')
if tonumber(ARGV[1]) < current then return 0 end
redis.call('set', KEYS[1], ARGV[1], 'EX', 604800)
return 1`;

/**
 * The lifecycle rank last posted per status context (or deployment, see deploymentRankKey) and
 * commit, so a status or a deployment never goes backwards.
 */
export class StatusRankStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** Claims `rank` for this context and commit; false when a higher rank was posted already. */
  async claim(context: string, sha: string, rank: number): Promise<boolean> {
    return (await this.redis.eval(claimRank, 1, this.keys.statusRank(context, sha), rank)) === 1;
  }
}
