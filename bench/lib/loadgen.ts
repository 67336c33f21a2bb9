// The load generator, in its own process: autocannon POSTing the signed push payload with a
// fresh X-GitHub-Delivery per request. The signature covers only the body, so the body and
// its signature stay fixed, as they would for one push delivered to many receivers.
// Usage: node loadgen.mjs <job.json>; prints one JSON line with the result.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

interface Job {
  url: string;
  body: string;
  headers: Record<string, string>;
  connections: number;
  durationS: number;
  /** Requests per second for all connections together; unset = as fast as the server answers. */
  rate?: number;
}

const job = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as Job;
const result = await autocannon({
  url: job.url,
  connections: job.connections,
  duration: job.durationS,
  overallRate: job.rate,
  timeout: 10,
  requests: [
    {
      method: 'POST',
      headers: job.headers,
      body: job.body,
      setupRequest: (req) => {
        req.headers = { ...req.headers, 'x-github-delivery': randomUUID() };
        return req;
      },
    },
  ],
});
const codes: Record<string, number> = {};
for (const [code, { count }] of Object.entries(result.statusCodeStats)) codes[code] = count;
console.log(
  JSON.stringify({
    durationS: result.duration,
    codes,
    errors: result.errors,
    timeouts: result.timeouts,
    latency: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max, mean: result.latency.mean },
  }),
);
