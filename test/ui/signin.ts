import { expect } from 'vitest';

/** The cookies a browser would hold for one host: name to value, from Set-Cookie answers. */
export class CookieJar {
  readonly cookies = new Map<string, string>();
  take(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const [name, value] = [pair!.slice(0, pair!.indexOf('=')), pair!.slice(pair!.indexOf('=') + 1)];
      const expired = attributes.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  get header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/** A request as the browser would send it to Driftless: its cookies, no automatic redirects. */
export async function browse(jar: CookieJar, url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Response> {
  const headers: Record<string, string> = { cookie: jar.header };
  if (init.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    headers.origin = new URL(url).origin;
  }
  const res = await fetch(url, { method: init.method ?? (init.form ? 'POST' : 'GET'), headers, body: init.form && new URLSearchParams(init.form), redirect: 'manual' });
  jar.take(res);
  return res;
}

/**
 * Signs in through the host's OAuth pages as a browser does: /ui sends to the sign-in page, the
 * provider's button to the host, the host (whose `signedIn` person approves) back to the callback.
 * Returns the last answer (a redirect into /ui when it worked).
 */
export async function signIn(jar: CookieJar, driftless: string, provider: 'github' | 'gitlab', returnTo = '/ui'): Promise<Response> {
  const start = await browse(jar, `${driftless}/ui/auth/${provider}?returnTo=${encodeURIComponent(returnTo)}`);
  expect(start.status).toBe(303);
  // the host's authorize page, which approves at once for its signed-in person
  const host = await fetch(start.headers.get('location')!, { redirect: 'manual' });
  expect(host.status).toBe(302);
  return browse(jar, host.headers.get('location')!);
}
