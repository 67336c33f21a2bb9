import type { Redis } from 'ioredis';
import type { PendingRevision } from '../model/revision.js';
import type { Keys } from './keys.js';

/** Seconds a delivery id is remembered: GitHub and GitLab redeliver within days, not weeks. */
const rememberDeliverySeconds = 7 * 24 * 3600;
/**
 * While a delivery is being queued its id is held (`in-flight`) and a copy of it is answered "not
 * yet", not "duplicate": the first copy may still fail. A failed intake forgets the id; when that
 * too fails (Redis went away mid-way) or the web crashed, the hold lapses after this long. It
 * outlasts an intake (commands time out after 1 s, the replica wait after redis.replicaTimeout);
 * a copy taken in while an intake outlasts it is harmless (its jobs have the same ids).
 */
const inFlightSeconds = 15;

/**
 * Claims a delivery id and, only when the claim is new, records a push's revision as pending per
 * target (first delivery of a sha keeps its trigger): one round trip, nothing written for a duplicate.
 * KEYS: the delivery, then per target its pending set and pending meta hash.
 * ARGV: the claim's state (`in-flight` or `done`), its seconds, receivedAt (ms), sha, the meta JSON.
 * Returns 1 when claimed, 0 for a delivery taken in already, -1 for one still being taken in.
 */
const claimScript = `
local held = redis.call('get', KEYS[1])
if held then return held == 'in-flight' and -1 or 0 end
redis.call('set', KEYS[1], ARGV[1], 'EX', ARGV[2])
for i = 2, #KEYS, 2 do
  redis.call('zadd', KEYS[i], 'NX', ARGV[3], ARGV[4])
  redis.call('hsetnx', KEYS[i + 1], ARGV[4], ARGV[5])
end
return 1`;

/** A push's revision, pending for each of its targets once its delivery is claimed. */
export interface PendingPush {
  targets: readonly string[];
  revision: PendingRevision;
}

/** A claim's answer: new, a duplicate of a delivery taken in, or a copy of one still being taken in (its intake may yet fail). */
export type DeliveryClaim = 'claimed' | 'duplicate' | 'in-flight';

const claimAnswers: Record<number, DeliveryClaim> = { 1: 'claimed', 0: 'duplicate', [-1]: 'in-flight' };

type ClaimCommand = (numKeys: number, ...keysAndArgs: (string | number)[]) => Promise<number>;

/** Webhook delivery ids already taken in, so a redelivery is answered "duplicate". */
export class DeliveryStore {
  private readonly claimCommand: ClaimCommand;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {
    // a named command: EVALSHA with the script loaded once per connection, not its text per delivery
    if (!('driftlessClaimDelivery' in redis)) redis.defineCommand('driftlessClaimDelivery', { lua: claimScript });
    const command = (redis as unknown as Record<'driftlessClaimDelivery', ClaimCommand>).driftlessClaimDelivery;
    this.claimCommand = command.bind(redis);
  }

  /**
   * Holds the delivery id while it is queued (`in-flight`, the default) or remembers it at once as
   * taken in (`done`, when its work is sent in the same round trip) and, for a push, records its
   * pending revisions in the same script. Nothing is written unless the answer is `claimed`.
   */
  async claim(provider: string, deliveryId: string, push?: PendingPush, state: 'in-flight' | 'done' = 'in-flight'): Promise<DeliveryClaim> {
    const pendingKeys = push?.targets.flatMap((t) => [this.keys.pending(t), this.keys.pendingMeta(t)]) ?? [];
    const meta = push ? JSON.stringify({ receivedAt: push.revision.receivedAt, trigger: push.revision.trigger }) : '';
    const seconds = state === 'done' ? rememberDeliverySeconds : inFlightSeconds;
    const claimed = await this.claimCommand(1 + pendingKeys.length, this.keys.delivery(provider, deliveryId), ...pendingKeys, state, seconds, push?.revision.receivedAt ?? 0, push?.revision.sha ?? '', meta);
    const answer = claimAnswers[claimed];
    if (!answer) throw new Error(`unexpected answer ${claimed} from the delivery claim script`);
    return answer;
  }

  /** Whether the connection is up: a write sent now is answered, not held until Redis is back. */
  get connected(): boolean {
    return this.redis.status === 'ready';
  }

  /** Remembers the delivery as taken in. Sent at once, so it pipelines with the work it guards. */
  async done(provider: string, deliveryId: string): Promise<void> {
    await this.redis.set(this.keys.delivery(provider, deliveryId), 'done', 'EX', rememberDeliverySeconds);
  }

  /** Whether the server answering now remembers the delivery as taken in (after a failover: whether it survived). */
  async isDone(provider: string, deliveryId: string): Promise<boolean> {
    return (await this.redis.get(this.keys.delivery(provider, deliveryId))) === 'done';
  }

  /** Lets a redelivery through again: the work failed. */
  async forget(provider: string, deliveryId: string): Promise<void> {
    await this.redis.del(this.keys.delivery(provider, deliveryId));
  }
}
