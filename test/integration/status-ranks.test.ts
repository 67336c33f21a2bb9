import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { keys } from '../../src/store/keys.js';
import { StatusRankStore } from '../../src/store/status-ranks.js';
import { statusJob } from '../../src/report/status.js';

// The rule itself, a Lua script: a status of a lower lifecycle rank never overwrites a higher
// one posted for the same context and commit. Real Redis, a prefix of its own per test.
describe('StatusRankStore against a real Redis', () => {
  const redis = new Redis(process.env.REDIS_URL!);
  afterAll(() => redis.quit());
  const store = () => {
    const k = keys(`ranks-${randomBytes(4).toString('hex')}`);
    return { ranks: new StatusRankStore(redis, k), k };
  };
  const sha = 'a'.repeat(40);

  it('refuses a lower rank after a higher one and accepts equal and higher ones', async () => {
    const { ranks } = store();
    const claims: [number, boolean][] = [];
    for (const rank of [0, 1, 2.5, 2, 2.5, 3, 0, 2.99, 3]) claims.push([rank, await ranks.claim('driftless/shop', sha, rank)]);
    expect(claims).toEqual([[0, true], [1, true], [2.5, true], [2, false], [2.5, true], [3, true], [0, false], [2.99, false], [3, true]]);
  });

  it('keeps ranks apart per context and per commit', async () => {
    const { ranks } = store();
    expect(await ranks.claim('driftless/shop', sha, 3)).toBe(true);
    expect(await ranks.claim('driftless/shop/diff', sha, 0)).toBe(true);
    expect(await ranks.claim('driftless/shop', 'b'.repeat(40), 0)).toBe(true);
    expect(await ranks.claim('driftless/shop', sha, 0)).toBe(false);
  });

  it('remembers a rank for a week, not for ever', async () => {
    const { ranks, k } = store();
    await ranks.claim('driftless/shop', sha, 1);
    const ttl = await redis.ttl(k.statusRank('driftless/shop', sha));
    expect(ttl).toBeGreaterThan(7 * 24 * 3600 - 60);
    expect(ttl).toBeLessThanOrEqual(7 * 24 * 3600);
  });

  it('lets the statuses of one deploy, claimed in any order, end at the terminal one', async () => {
    const { ranks } = store();
    const input = { target: 'shop', repo: 'acme/shop', sha, trigger: { deliveryId: 'd-1' } };
    const jobs = [statusJob(input, 'queued', 'pending', 'queued'), statusJob(input, 'applying', 'pending', 'applying'), statusJob(input, 'waiting', 'pending', '1/2 healthy', 0.5), statusJob(input, 'terminal', 'success', 'deployed')];
    // delivered late: terminal first, then the rest, all at once
    const [terminal, ...rest] = [jobs[3]!, ...jobs.slice(0, 3)];
    expect(await ranks.claim(terminal.data.context, sha, terminal.data.rank)).toBe(true);
    expect(await Promise.all(rest.map((j) => ranks.claim(j.data.context, sha, j.data.rank)))).toEqual([false, false, false]);
  });
});
