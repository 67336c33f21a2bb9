import { createRequire } from 'node:module';

/** A Preact element, opaque here: only `markup` and `page` look inside. */
export interface VNode {
  readonly type: unknown;
  readonly props: unknown;
}
type ComponentChildren = VNode | string | number | boolean | null | undefined | readonly ComponentChildren[];

// Preact is loaded untyped: its typings declare the browser's DOM library for the whole program,
// which would give this Node code the browser's fetch and timers. htm's typings do not resolve
// under NodeNext (a default export in a CommonJS package), so it is required as well.
const require = createRequire(import.meta.url);
const htm = require('htm') as (strings: TemplateStringsArray, ...values: unknown[]) => unknown;
const { h } = require('preact') as { h: (type: unknown, props: Record<string, unknown> | null, ...children: unknown[]) => VNode };
const { render } = require('preact-render-to-string') as { render: (node: VNode) => string };

/** JSX-like templates (`html\`<p>${text}</p>\``), rendered by Preact: every interpolated value is escaped. */
export const html = htm.bind(h) as (strings: TemplateStringsArray, ...values: unknown[]) => VNode;

/** Markup of a fragment, for SSE and tests. */
export function markup(node: VNode): string {
  return render(node);
}

/** The signed-in person the header shows, with the token the sign-out form echoes. */
export interface Viewer {
  login: string;
  provider: 'github' | 'gitlab';
  csrf: string;
}

/**
 * A whole page: the layout every page shares (header, navigation, the signed-in person and the
 * sign-out form), the stylesheet, and htmx with its SSE extension, all served by Driftless itself.
 */
export function page(input: { title: string; viewer?: Viewer; children: ComponentChildren }): string {
  const { title, viewer, children } = input;
  const body = html`
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · Driftless</title>
        <link rel="stylesheet" href="/ui/assets/style.css" />
        <script src="/ui/assets/htmx.min.js" defer></script>
        <script src="/ui/assets/sse.js" defer></script>
      </head>
      <body>
        <header class="top">
          <a class="brand" href="/ui">Driftless</a>
          <nav><a href="/ui">Fleet</a></nav>
          ${viewer &&
          html`<form class="who" method="post" action="/ui/logout">
            <span title=${`signed in with ${viewer.provider}`}>${viewer.login}</span>
            <input type="hidden" name="_csrf" value=${viewer.csrf} />
            <button type="submit" class="link">Sign out</button>
          </form>`}
        </header>
        <main>${children}</main>
      </body>
    </html>
  `;
  return `<!doctype html>${render(body)}`;
}
