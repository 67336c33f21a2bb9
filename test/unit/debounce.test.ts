import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { debounceSchema } from '../../src/config/debounce.js';
import type { PushActivity } from '../../src/store/revisions.js';
import { quietUntil } from '../../src/sync/revision-decision.js';

// quietUntil is the debounce of a target's pushes: times are milliseconds on one clock, `now`
// is 10_000, a quiet period of 1 s and a longest wait of 15 s (the defaults).
const now = 10_000;
const debounce = { enabled: true, quiet: 1_000, maxWait: 15_000 };

const rows: { name: string; activity: PushActivity; until: number | undefined; settings?: typeof debounce }[] = [
  { name: 'a lone push to a quiet target runs at once', activity: { pending: 1, oldest: 9_990, newest: 9_990, lastRunEndedAt: 2_000 }, until: undefined },
  { name: 'a lone push right after a sync ended runs at once (push → applied has no fixed delay)', activity: { pending: 1, oldest: 9_990, newest: 9_990, lastRunEndedAt: 9_900 }, until: undefined },
  { name: 'a first push to a never-synced target runs at once', activity: { pending: 1, oldest: 9_990, newest: 9_990 }, until: undefined },
  { name: 'nothing pending: nothing to wait for', activity: { pending: 0 }, until: undefined },
  { name: 'several pending: waits for a quiet period after the newest', activity: { pending: 3, oldest: 9_000, newest: 9_800, lastRunEndedAt: 2_000 }, until: 10_800 },
  { name: 'a push that arrived while a sync ran waits for a quiet period after it', activity: { pending: 1, oldest: 9_500, newest: 9_500, lastRunEndedAt: 9_900 }, until: 10_500 },
  { name: 'a burst already quiet for the period runs', activity: { pending: 5, oldest: 5_000, newest: 8_999, lastRunEndedAt: 2_000 }, until: undefined },
  { name: 'a steady stream runs once its oldest push waited maxWait', activity: { pending: 40, oldest: -5_000, newest: 9_900 }, until: undefined },
  { name: 'the wait never ends after the oldest push plus maxWait', activity: { pending: 40, oldest: -4_500, newest: 9_900 }, until: 10_500 },
  { name: 'debounce off: a burst runs at once', activity: { pending: 3, oldest: 9_000, newest: 9_800 }, until: undefined, settings: { ...debounce, enabled: false } },
];

describe('quietUntil: a burst of pushes waits until it stops, a lone push never waits', () => {
  it.each(rows)('$name', ({ activity, until, settings }) => {
    expect(quietUntil(activity, now, settings ?? debounce)).toBe(until);
  });
});

describe('targets[].debounce', () => {
  it('defaults to a 1 s quiet period and a 15 s longest wait, in milliseconds', () => {
    expect(debounceSchema.parse({})).toEqual({ enabled: true, quiet: 1_000, maxWait: 15_000 });
    expect(debounceSchema.parse({ quiet: '500ms', maxWait: '1m', enabled: 'false' })).toEqual({ enabled: false, quiet: 500, maxWait: 60_000 });
  });

  it('refuses a quiet period longer than the longest wait, naming the field', () => {
    const result = debounceSchema.safeParse({ quiet: '1m', maxWait: '10s' });
    expect(result.error).toBeInstanceOf(ZodError);
    expect(result.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['quiet', 'quiet must not be longer than maxWait']]);
  });
});
