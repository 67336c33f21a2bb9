import type { Health, SyncState } from '../server/target-view.js';
import { html, markup, type VNode } from './html.js';

/** Badge colours per sync state, as shields.io's palette names them. */
const colours: Record<SyncState, string> = {
  'in sync': '#4c1',
  drifted: '#dfb317',
  deploying: '#007ec6',
  failed: '#e05d44',
  held: '#fe7d37',
  'never deployed': '#9f9f9f',
};

/** Width of text in 11px Verdana, near enough for a badge: 7 px a character and the padding. */
const width = (text: string) => Math.round(text.length * 7 + 12);

/**
 * A flat status badge in the shields.io layout: the target's name on the left, its sync state
 * and health on the right (`in sync · Healthy`), as Argo CD's badges show a sync and a health.
 */
export function badgeSvg(target: string, sync: SyncState, health: Health): string {
  const label = target;
  const value = sync === 'in sync' || sync === 'drifted' ? `${sync} · ${health}` : sync;
  const [lw, vw] = [width(label), width(value)];
  const text = (x: number, t: string): VNode => html`<g><text x=${x} y="15" fill="#010101" fill-opacity=".3">${t}</text><text x=${x} y="14">${t}</text></g>`;
  const svg = html`
    <svg xmlns="http://www.w3.org/2000/svg" width=${lw + vw} height="20" role="img" aria-label=${`${label}: ${value}`}>
      <title>${`${label}: ${value}`}</title>
      <linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1" /><stop offset="1" stop-opacity=".1" /></linearGradient>
      <clipPath id="r"><rect width=${lw + vw} height="20" rx="3" fill="#fff" /></clipPath>
      <g clip-path="url(#r)">
        <rect width=${lw} height="20" fill="#555" />
        <rect x=${lw} width=${vw} height="20" fill=${colours[sync]} />
        <rect width=${lw + vw} height="20" fill="url(#s)" />
      </g>
      <g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">
        ${text(lw / 2, label)} ${text(lw + vw / 2, value)}
      </g>
    </svg>
  `;
  return markup(svg);
}
