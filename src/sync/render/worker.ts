import { parentPort } from 'node:worker_threads';
import { buildManifests } from './build.js';
import type { RenderRequest } from './build.js';
import { serializeError } from './protocol.js';
import type { RenderReply } from './protocol.js';

/**
 * The render thread: takes one RenderRequest at a time from its host (threads.ts) and answers
 * with RenderReply messages. The host keeps the thread for the next render, or ends it when a
 * render runs out of time or memory.
 */
const port = parentPort!;
const reply = (message: RenderReply) => port.postMessage(message);

port.on('message', (request: RenderRequest) => {
  buildManifests(request, (source) => reply({ type: 'file', file: source })).then(
    (manifests) => reply({ type: 'done', manifests }),
    (err: unknown) => reply({ type: 'failed', error: serializeError(err) }),
  );
});
