// Preloaded into a child process (`--import`), records every module it loads and writes their
// URLs, one a line, to $MODULE_TRACE_FILE when it exits: ES modules through a loader hook (which
// also sees what tsx compiles), CommonJS ones from require.cache.
import { writeFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { MessageChannel } from 'node:worker_threads';

const loaded = new Set<string>();
const { port1, port2 } = new MessageChannel();
port1.on('message', (url: string) => loaded.add(url));
port1.unref();
const hook = 'let port; export function initialize(data) { port = data.port; } export async function load(url, context, next) { port.postMessage(url); return next(url, context); }';
register(`data:text/javascript,${encodeURIComponent(hook)}`, { data: { port: port2 }, transferList: [port2] });

process.on('exit', () => {
  const file = process.env.MODULE_TRACE_FILE;
  if (!file) return;
  for (const name of Object.keys(createRequire(import.meta.url).cache)) loaded.add(pathToFileURL(name).href);
  writeFileSync(file, [...loaded].join('\n'));
});
