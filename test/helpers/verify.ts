import type { WebhookReceiver } from '../../src/providers/types.js';

/** A whole delivery through a receiver's verification, as the web reads it: headers first, then the body. */
export function verify(receiver: WebhookReceiver, body: Buffer, headers: Record<string, string | string[] | undefined>): void {
  const verifier = receiver.authenticate(headers);
  verifier.update(body);
  verifier.finish();
}
