import type { TargetConfig } from '../config/schema.js';
import type { Change, ChangeSummary } from '../model/change.js';
import type { TargetObject } from '../server/objects.js';
import type { ActionRecord } from '../store/actions.js';
import type { HistoryEntry } from '../store/history.js';
import type { StoredPreview } from '../store/previews.js';
import type { TargetDetail, TargetRow } from '../server/target-view.js';
import { syncStates } from '../server/target-view.js';
import { html, page, type Viewer } from './html.js';
import type { Links } from './links.js';

const short = (sha: string) => sha.slice(0, 7);
const cls = (prefix: string, value: string) => `${prefix}-${value.replaceAll(' ', '-')}`;

/** "5 s ago", "3 min ago", "2 h ago", "4 d ago". */
export function ago(at: number | string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - (typeof at === 'string' ? Date.parse(at) : at)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

const time = (at: number | string) => {
  const iso = new Date(at).toISOString();
  return html`<time datetime=${iso} title=${iso}>${ago(at)}</time>`;
};

function sha(links: Links, target: TargetConfig, revision: string | undefined) {
  if (!revision) return html`<span class="muted">—</span>`;
  const href = links.commit(target, revision);
  return href ? html`<a class="sha" href=${href}>${short(revision)}</a>` : html`<span class="sha">${short(revision)}</span>`;
}

function pull(links: Links, target: TargetConfig, pr: number) {
  const label = `${target.repo.provider === 'github' ? '#' : '!'}${pr}`;
  const href = links.pull(target, pr);
  return href ? html`<a href=${href}>${label}</a>` : html`<span>${label}</span>`;
}

/** Objects per action, the way the commit status says it: "2 created, 1 configured". */
export function summaryText(summary: ChangeSummary | undefined): string {
  if (!summary) return '';
  const parts = Object.entries(summary).filter(([action, n]) => n && action !== 'unchanged').map(([action, n]) => `${n} ${action}`);
  return parts.length ? parts.join(', ') : 'no changes';
}

const timingsText = (timings: Record<string, number>) =>
  Object.entries(timings)
    .map(([stage, ms]) => `${stage} ${ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`}`)
    .join(' · ');

/** The running sync's line, swapped live: "applying", "waiting for health: 1/3 ready". */
function stageLine(row: TargetRow) {
  if (!row.live || row.live.state !== 'pending') return null;
  return html`<div class="stage">${row.live.sha && `${short(row.live.sha)}: `}${row.live.description}</div>`;
}

/** One target of the fleet; the `row-<target>` event of /ui/events replaces it. */
export function fleetRow(row: TargetRow, target: TargetConfig, links: Links) {
  const { status } = row;
  const attempt = status.lastAttempt;
  return html`
    <tr id=${`row-${target.name}`} sse-swap=${`row-${target.name}`} hx-swap="outerHTML" data-state=${row.sync}>
      <td data-label="Target"><a href=${`/ui/targets/${target.name}`}><strong>${target.name}</strong></a></td>
      <td data-label="Repository"><span>${status.repo}<span class="muted">@${status.branch}</span></span></td>
      <td data-label="Cluster"><span>${row.cluster}<span class="muted">/${row.namespace}</span></span></td>
      <td data-label="Sync">
        <span>
          <span class=${`chip ${cls('s', row.sync)}`}>${row.sync}</span>
          ${status.lock && html` <span class="chip locked" title=${`locked by ${status.lock.user}`}>locked</span>`} ${stageLine(row)}
        </span>
      </td>
      <td data-label="Health"><span class=${`chip ${cls('h', row.health)}`}>${row.health}</span></td>
      <td data-label="Deployed"><span>${sha(links, target, status.deployed?.sha)} ${status.deployed && html`<span class="muted">${time(status.deployed.at)}</span>`}</span></td>
      <td data-label="Last attempt">
        <span>${attempt ? html`${sha(links, target, attempt.revision)} <span class=${cls('r', attempt.result)}>${attempt.result}</span>${attempt.stage && html`<span class="muted"> at ${attempt.stage}</span>`}` : html`<span class="muted">—</span>`}</span>
      </td>
    </tr>
  `;
}

/** The fleet's filters, as the query string gives them. */
export interface FleetFilter {
  cluster?: string;
  repo?: string;
  state?: string;
}

/** Every target the viewer may see, filtered by cluster, repository and state. */
export function fleetPage(input: { rows: { row: TargetRow; target: TargetConfig }[]; all: { row: TargetRow; target: TargetConfig }[]; filter: FleetFilter; links: Links; viewer: Viewer }): string {
  const { rows, all, filter, links, viewer } = input;
  const options = (values: string[], selected: string | undefined) =>
    [...new Set(values)].sort().map((v) => html`<option value=${v} selected=${v === selected}>${v}</option>`);
  return page({
    title: 'Fleet',
    viewer,
    children: html`
      <h1>Fleet</h1>
      <form class="filters" method="get" action="/ui">
        <label>Cluster<select name="cluster"><option value="">all</option>${options(all.map((r) => r.row.cluster), filter.cluster)}</select></label>
        <label>Repository<select name="repo"><option value="">all</option>${options(all.map((r) => r.row.status.repo), filter.repo)}</select></label>
        <label>State<select name="state"><option value="">all</option>${options([...syncStates, 'locked'], filter.state)}</select></label>
        <button type="submit">Filter</button>
      </form>
      <div hx-ext="sse" sse-connect="/ui/events">
        <table class="fleet">
          <thead><tr><th>Target</th><th>Repository</th><th>Cluster</th><th>Sync</th><th>Health</th><th>Deployed</th><th>Last attempt</th></tr></thead>
          <tbody>${rows.map(({ row, target }) => fleetRow(row, target, links))}</tbody>
        </table>
        ${rows.length === 0 && html`<p class="muted">No target matches${all.length === 0 ? ': you have no permission on any target’s repository' : ''}.</p>`}
      </div>
    `,
  });
}

/** A target's state at the top of its page; the `summary-<target>` event replaces it. */
export function targetSummary(d: TargetDetail, target: TargetConfig, links: Links) {
  const { status } = d;
  return html`
    <section class="panel" id=${`summary-${target.name}`} sse-swap=${`summary-${target.name}`} hx-swap="outerHTML" data-state=${d.sync}>
      <p>
        <span class=${`chip ${cls('s', d.sync)}`}>${d.sync}</span> <span class=${`chip ${cls('h', d.health)}`}>${d.health}</span>
        ${status.lock && html` <span class="chip locked">locked by ${pull(links, target, status.lock.pr)} (${status.lock.user})</span>`}
      </p>
      ${stageLine(d)}
      <dl class="facts">
        <dt>Repository</dt><dd>${status.repo} <span class="muted">@${status.branch}, ${target.path}</span></dd>
        <dt>Cluster</dt><dd>${d.cluster}/${d.namespace}</dd>
        <dt>Deployed</dt><dd>${sha(links, target, status.deployed?.sha)} ${status.deployed && html`<span class="muted">${time(status.deployed.at)}</span>`}</dd>
        <dt>Last applied</dt><dd>${sha(links, target, status.lastAppliedRevision)}</dd>
        <dt>Last attempt</dt>
        <dd>
          ${status.lastAttempt
            ? html`${sha(links, target, status.lastAttempt.revision)} <span class=${cls('r', status.lastAttempt.result)}>${status.lastAttempt.result}</span>
                ${status.lastAttempt.stage && html` at ${status.lastAttempt.stage}`}${status.lastAttempt.reason && html`: ${status.lastAttempt.reason}`}`
            : html`<span class="muted">never</span>`}
        </dd>
        ${status.held && html`<dt>Held</dt><dd>at ${sha(links, target, status.held.at)} after ${sha(links, target, status.held.from)} failed (${time(status.held.since)})</dd>`}
        <dt>Pending</dt><dd>${status.pending.length ? status.pending.map((p) => html`${sha(links, target, p)} `) : html`<span class="muted">none</span>`}</dd>
      </dl>
    </section>
  `;
}

/** The colored lines of a unified diff (its Secret values were masked when it was made); htm drops a newline written in the template, so each line carries its own. */
function diffBlock(diff: string) {
  return html`<pre class="diff">${diff.split('\n').map((line) => html`<span class=${line.startsWith('+') ? 'add' : line.startsWith('-') ? 'del' : ''}>${`${line}\n`}</span>`)}</pre>`;
}

function changeList(changes: Change[]) {
  const shown = changes.filter((c) => c.action !== 'unchanged');
  if (shown.length === 0) return html`<p class="muted">No changes.</p>`;
  return html`<ul class="changes">
    ${shown.map(
      (c) => html`<li>
        ${c.diff
          ? html`<details><summary><code>${c.subject}</code> ${c.action}${c.reason && html` <span class="muted">(${c.reason})</span>`}</summary>${diffBlock(c.diff)}</details>`
          : html`<code>${c.subject}</code> ${c.action}${c.reason && html` <span class="muted">(${c.reason})</span>`}`}
      </li>`,
    )}
  </ul>`;
}

function previews(list: StoredPreview[], target: TargetConfig, links: Links) {
  if (list.length === 0) return html`<p class="muted">No pull request has a preview for this target.</p>`;
  return list.map(
    ({ pr, preview }) => html`
      <div class="panel preview" id=${`preview-${pr.number}`}>
        <strong>${pull(links, target, pr.number)}</strong> at ${sha(links, target, preview.sha)} <span class="muted">${time(preview.at)}</span>
        ${preview.outcome === 'planned'
          ? changeList(preview.changes)
          : html`<p class="r-failed">${preview.message}</p>
              <ul>${preview.problems.map((p) => html`<li><code>${p.subject}</code> <span class="muted">${p.file}${p.line ? `:${p.line}` : ''}</span>: ${p.message}</li>`)}</ul>`}
      </div>
    `,
  );
}

type TimelineItem = { at: number; entry: HistoryEntry } | { at: number; action: ActionRecord };

/** The target's syncs and the actions people took on it, newest first; the `timeline-<target>` event replaces it. */
export function timeline(d: TargetDetail, target: TargetConfig, links: Links) {
  const items: TimelineItem[] = [...d.history.map((entry) => ({ at: entry.finishedAt, entry })), ...d.actions.map((action) => ({ at: action.at, action }))].sort((a, b) => b.at - a.at);
  return html`
    <section id=${`timeline-${target.name}`} sse-swap=${`timeline-${target.name}`} hx-swap="outerHTML">
      <table class="timeline">
        <thead><tr><th>When</th><th>What</th><th>Commit</th><th>Result</th><th>Changes</th></tr></thead>
        <tbody>
          ${items.map((item) =>
            'entry' in item
              ? html`<tr class="sync">
                  <td>${time(item.at)}</td>
                  <td>sync · ${item.entry.trigger.kind} by ${item.entry.trigger.actor}${item.entry.trigger.pr !== undefined && html` (${pull(links, target, item.entry.trigger.pr)})`}</td>
                  <td>${sha(links, target, item.entry.revision)}</td>
                  <td>
                    <span class=${cls('r', item.entry.result)}>${item.entry.result}</span>
                    ${item.entry.reason && item.entry.result !== 'succeeded' && html` <span class="muted">${item.entry.reason}${item.entry.stage && ` at ${item.entry.stage}`}</span>`}
                    ${item.entry.message && html`<details><summary class="muted">why</summary>${item.entry.message}</details>`}
                  </td>
                  <td>
                    ${summaryText(item.entry.summary)}<div class="timings">${timingsText(item.entry.timings)}</div>
                    ${item.entry.changes?.length ? html`<details class="sync-diff"><summary class="muted">diff</summary>${changeList(item.entry.changes)}</details>` : ''}
                  </td>
                </tr>`
              : html`<tr class="action">
                  <td>${time(item.at)}</td>
                  <td>${item.action.action} by ${item.action.actor} <span class="muted">(${item.action.via})</span></td>
                  <td>${item.action.revision ? sha(links, target, item.action.revision) : item.action.pr !== undefined ? pull(links, target, item.action.pr) : ''}</td>
                  <td><span class=${cls('r', item.action.result)}>${item.action.result}</span></td>
                  <td>${item.action.message}</td>
                </tr>`,
          )}
        </tbody>
      </table>
      ${items.length === 0 && html`<p class="muted">No sync yet.</p>`}
    </section>
  `;
}

/** The forms of the actions, each with the session's CSRF token; the server decides who may. */
function actionForms(d: TargetDetail, target: TargetConfig, viewer: Viewer) {
  const csrf = html`<input type="hidden" name="_csrf" value=${viewer.csrf} />`;
  const to = (action: string) => `/ui/targets/${target.name}/${action}`;
  return html`
    <div class="actions">
      <form method="post" action=${to('sync')}>${csrf}<button class="primary" type="submit">Sync ${target.branch}</button></form>
      <form method="post" action=${to('rollback')}>
        ${csrf}
        <select name="revision" aria-label="revision to roll back to">
          ${d.rollbackTargets.length ? d.rollbackTargets.map((r) => html`<option value=${r}>${short(r)}</option>`) : html`<option value="">no earlier healthy revision</option>`}
        </select>
        <button type="submit" disabled=${d.rollbackTargets.length === 0}>Roll back</button>
      </form>
      ${d.status.lock
        ? html`<form method="post" action=${to('unlock')}>${csrf}<button type="submit">Unlock</button></form>`
        : html`<form method="post" action=${to('lock')}>${csrf}<input name="pr" inputmode="numeric" size="5" placeholder="PR #" aria-label="pull request number" required /><button type="submit">Lock</button></form>`}
    </div>
  `;
}

/** The target's objects in the cluster now, each with its health; or why the cluster could not say. */
function objectList(objects: TargetObject[] | { error: string }) {
  if ('error' in objects) return html`<p class="muted">${objects.error}</p>`;
  if (objects.length === 0) return html`<p class="muted">The cluster holds no object of this target.</p>`;
  return html`<table class="objects">
    <thead><tr><th>Object</th><th>Health</th><th></th></tr></thead>
    <tbody>
      ${objects.map((o) => html`<tr><td><code>${o.subject}</code></td><td><span class=${`chip ${cls('h', o.health)}`}>${o.health}</span></td><td class="muted">${o.message}</td></tr>`)}
    </tbody>
  </table>`;
}

/** One target: its state, the actions, the drift, the timeline of syncs, its objects and the previews with their diffs. */
export function targetPage(input: { detail: TargetDetail; target: TargetConfig; links: Links; viewer: Viewer; notice?: ActionRecord; objects: TargetObject[] | { error: string } }): string {
  const { detail: d, target, links, viewer, notice } = input;
  return page({
    title: target.name,
    viewer,
    children: html`
      <p class="muted"><a href="/ui">Fleet</a> / ${target.name}</p>
      <h1>${target.name}</h1>
      ${notice && html`<div class=${`panel notice ${notice.result}`} role="status">${notice.action}: ${notice.message}</div>`}
      <div hx-ext="sse" sse-connect=${`/ui/events?target=${encodeURIComponent(target.name)}`}>
        ${targetSummary(d, target, links)}
        <h2 id="actions">Actions</h2>
        ${actionForms(d, target, viewer)}
        ${d.drift &&
        html`<h2>Drift</h2>
          <div class="panel r-drifted">${summaryText(d.drift.summary)} at ${sha(links, target, d.drift.revision)} <span class="muted">${time(d.drift.finishedAt)}</span>${d.drift.message && html`<p>${d.drift.message}</p>`}</div>`}
        <h2>Timeline</h2>
        ${timeline(d, target, links)}
      </div>
      <h2>Objects</h2>
      ${objectList(input.objects)}
      <h2>Previews</h2>
      ${previews(d.previews, target, links)}
    `,
  });
}

/** The sign-in page: one button per configured host, or how to configure one. */
export function loginPage(input: { providers: ('github' | 'gitlab')[]; returnTo: string; error?: string }): string {
  const names = { github: 'GitHub', gitlab: 'GitLab' };
  return page({
    title: 'Sign in',
    children: html`
      <div class="login">
        <h1>Sign in to Driftless</h1>
        ${input.error && html`<p class="r-failed" role="alert">${input.error}</p>`}
        ${input.providers.length
          ? input.providers.map((p) => html`<a class="button" href=${`/ui/auth/${p}?returnTo=${encodeURIComponent(input.returnTo)}`}>Sign in with ${names[p]}</a>`)
          : html`<p class="muted">No sign-in is configured: set <code>dashboard.github</code> or <code>dashboard.gitlab</code> (an OAuth application's client id and secret).</p>`}
      </div>
    `,
  });
}

/** A page that says what went wrong (never a stack). */
export function errorPage(title: string, message: string, viewer?: Viewer): string {
  return page({ title, viewer, children: html`<h1>${title}</h1><p>${message}</p><p><a href="/ui">Back to the fleet</a></p>` });
}
