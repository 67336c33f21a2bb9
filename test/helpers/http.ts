import { request } from 'node:http';

/** What the server answered, or the socket error that ended the request before an answer. */
export type RawAnswer = { status: number; headers: Record<string, string | string[] | undefined>; body: string; ms: number } | { error: string; ms: number };

export interface RawPostOptions {
  headers: Record<string, string | number>;
  /** Bytes to send in all, in `chunkBytes` pieces; with no content-length header the body is chunked. */
  bytes: number;
  chunkBytes?: number;
  /** Milliseconds between pieces (a slow sender); 0 writes as fast as the socket drains. */
  pauseMs?: number;
  /** Destroys the request after this many bytes (a sender that goes away). */
  abortAfter?: number;
}

/**
 * POSTs a body of spaces in raw node:http, writing as the socket drains, and resolves as soon as
 * the server answers (or the connection ends), whatever is left unsent. The one buffer is
 * reused, so a hundred concurrent 24 MB posts cost the test almost nothing.
 */
export function rawPost(url: string, options: RawPostOptions): Promise<RawAnswer> {
  const started = performance.now();
  const chunk = Buffer.alloc(Math.min(options.chunkBytes ?? 1 << 20, Math.max(options.bytes, 1)), 0x20);
  return new Promise((resolve) => {
    let done = false;
    const finish = (answer: RawAnswer) => {
      if (done) return;
      done = true;
      req.destroy();
      resolve(answer);
    };
    const req = request(url, { method: 'POST', headers: options.headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => finish({ status: res.statusCode ?? 0, headers: res.headers, body, ms: performance.now() - started }));
      res.on('error', () => finish({ status: res.statusCode ?? 0, headers: res.headers, body, ms: performance.now() - started }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => setTimeout(() => finish({ error: err.code ?? err.message, ms: performance.now() - started }), 50));
    let sent = 0;
    const write = (): void => {
      while (!done && sent < options.bytes) {
        if (options.abortAfter !== undefined && sent >= options.abortAfter) return void req.destroy();
        const piece = chunk.subarray(0, Math.min(chunk.length, options.bytes - sent));
        sent += piece.length;
        const drained = req.write(piece);
        if (options.pauseMs) return void setTimeout(write, options.pauseMs);
        if (!drained) return void req.once('drain', write);
      }
      if (!done) req.end();
    };
    write();
  });
}
