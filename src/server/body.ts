import type { IncomingMessage } from 'node:http';
import type { BodyVerifier } from '../providers/types.js';

/**
 * Bytes of webhook bodies whose sender is not yet proven, across every connection of the
 * process. GitHub signs the whole body, so a delivery is only authenticated once its last byte
 * is in; until then its bytes are held against this budget, and a delivery that does not fit
 * is refused instead of buffered. Counts bytes; `take` and `give` are synchronous.
 */
export class UnauthenticatedBudget {
  private used = 0;

  constructor(readonly limit: number) {}

  /** Takes `bytes` if they fit; false (and nothing taken) when they do not. */
  take(bytes: number): boolean {
    if (this.used + bytes > this.limit) return false;
    this.used += bytes;
    return true;
  }

  give(bytes: number): void {
    this.used -= bytes;
  }

  get inFlight(): number {
    return this.used;
  }
}

/** Why a body was not read to the end; `status` is the HTTP answer (0: the sender went away, answer nothing). */
export class BodyError extends Error {
  constructor(
    readonly status: 0 | 408 | 413 | 503,
    message: string,
  ) {
    super(message);
    this.name = 'BodyError';
  }
}

/** Limits of one delivery's body. */
export interface BodyLimits {
  /** Largest body, in bytes (`server.maxBodyBytes`). */
  maxBytes: number;
  /** Milliseconds the whole body may take to arrive (`server.bodyTimeout`). */
  timeoutMs: number;
  /** Shared by every connection; see UnauthenticatedBudget. */
  budget: UnauthenticatedBudget;
}

/**
 * Reads a request body through its verifier, chunk by chunk, and returns it once the verifier
 * accepted it. While the sender is unproven, the body's bytes are held against the shared
 * budget: the declared Content-Length up front (refused before a byte is read when it does not
 * fit), a chunked body as it arrives; the bytes are given back once the verifier has decided,
 * or the request ended any other way.
 *
 * Throws BodyError (413 over `maxBytes`, 503 over the budget, 408 too slow, 0 aborted) or the
 * verifier's WebhookError (401).
 */
export function readVerifiedBody(req: IncomingMessage, verifier: BodyVerifier, limits: BodyLimits): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const { budget, maxBytes } = limits;
    const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
    const chunks: Buffer[] = [];
    let received = 0;
    let held = 0;
    let settled = false;
    const timer = setTimeout(() => settle(new BodyError(408, `the body did not arrive within ${limits.timeoutMs} ms`)), limits.timeoutMs);

    const settle = (error: unknown, body?: Buffer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      budget.give(held);
      held = 0;
      req.off('data', onData).off('end', onEnd).off('close', onClose).off('error', onAborted);
      if (error === undefined && body) resolve(body);
      else {
        // stop reading what is left: the answer says why and closes the connection
        req.pause();
        reject(error);
      }
    };
    const hold = (bytes: number): boolean => {
      if (verifier.authenticated) return true;
      if (!budget.take(bytes)) return false;
      held += bytes;
      return true;
    };
    const overBudget = () => new BodyError(503, 'too many unauthenticated webhook bytes in flight (server.maxUnauthenticatedBytes); retry later');

    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBytes) return settle(new BodyError(413, 'body exceeds server.maxBodyBytes'));
      // with a declared length the budget was taken up front; node refuses bodies longer than declared
      if (declared === undefined && !hold(chunk.length)) return settle(overBudget());
      verifier.update(chunk);
      chunks.push(chunk);
    };
    const onEnd = () => {
      try {
        verifier.finish();
        settle(undefined, Buffer.concat(chunks, received));
      } catch (err) {
        settle(err);
      }
    };
    const onAborted = () => settle(new BodyError(0, 'the sender closed the connection before the body was complete'));
    const onClose = () => {
      if (!req.complete) onAborted();
    };

    if (declared !== undefined && !hold(declared)) return settle(overBudget());
    req.on('data', onData).on('end', onEnd).on('close', onClose).on('error', onAborted);
  });
}
