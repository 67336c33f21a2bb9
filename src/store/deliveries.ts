import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';

/** Seconds a delivery id is remembered: GitHub and GitLab redeliver within days, not weeks. */
const rememberDeliverySeconds = 7 * 24 * 3600;
/** While a delivery is being queued its id is held briefly, so a crash mid-way does not eat the redelivery. */
const inFlightSeconds = 60;

/** Webhook delivery ids already taken in, so a redelivery is answered "duplicate". */
export class DeliveryStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** Holds the delivery id while it is queued; false when it was taken in (or is being) already. */
  async claim(provider: string, deliveryId: string): Promise<boolean> {
    return (await this.redis.set(this.keys.delivery(provider, deliveryId), 'in-flight', 'EX', inFlightSeconds, 'NX')) === 'OK';
  }

  /** Remembers the delivery as taken in. Sent at once, so it pipelines with the work it guards. */
  async done(provider: string, deliveryId: string): Promise<void> {
    await this.redis.set(this.keys.delivery(provider, deliveryId), 'done', 'EX', rememberDeliverySeconds);
  }

  /** Lets a redelivery through again: the work failed. */
  async forget(provider: string, deliveryId: string): Promise<void> {
    await this.redis.del(this.keys.delivery(provider, deliveryId));
  }
}
