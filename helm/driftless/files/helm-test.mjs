// `helm test <release>`: checks the installed release from inside the cluster. The web and a
// worker answer /healthz, reach Redis (/readyz) and serve their metrics (driftless_build_info).
// WEB_URL and WORKER_URL name them; each check is retried for up to TIMEOUT_SECONDS (default 60),
// as pods may still be starting. Prints one line per check; exits 1 when any failed.
/* global fetch, AbortSignal */
import console from 'node:console';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';

const timeoutMs = Number(process.env.TIMEOUT_SECONDS ?? 60) * 1000;
const checks = [];
for (const [who, base] of [['web', process.env.WEB_URL], ['worker', process.env.WORKER_URL]]) {
  if (!base) continue;
  checks.push([`${who} is up`, `${base}/healthz`, () => true]);
  checks.push([`${who} reaches Redis`, `${base}/readyz`, () => true]);
  checks.push([`${who} serves its metrics`, `${base}/metrics`, (body) => /^driftless_build_info\{version="[^"]+"/m.test(body)]);
}

async function check(url, accept) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
      const body = await res.text();
      if (res.ok && accept(body)) return undefined;
      last = res.ok ? 'unexpected answer' : `HTTP ${res.status} ${body.slice(0, 200).trim()}`;
    } catch (err) {
      last = err.cause?.code ?? err.message;
    }
    if (Date.now() > deadline) return last;
    await sleep(2000);
  }
}

let failed = 0;
for (const [what, url, accept] of checks) {
  const problem = await check(url, accept);
  console.log(`${problem ? 'FAIL' : 'ok  '} ${what} (${url})${problem ? `: ${problem}` : ''}`);
  if (problem) failed++;
}
process.exit(failed ? 1 : 0);
