/** The dashboard's stylesheet: light and dark, a table on wide screens and cards on a phone. */
export const stylesheet = `
:root { --bg:#fff; --fg:#1b1f24; --muted:#59636e; --line:#d1d9e0; --card:#f6f8fa; --ok:#1a7f37; --warn:#9a6700; --bad:#cf222e; --run:#0969da; --off:#6e7781; }
@media (prefers-color-scheme: dark) { :root { --bg:#0d1117; --fg:#e6edf3; --muted:#9198a1; --line:#30363d; --card:#161b22; --ok:#3fb950; --warn:#d29922; --bad:#f85149; --run:#4493f8; --off:#8b949e; } }
* { box-sizing: border-box; }
body { margin:0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; background:var(--bg); color:var(--fg); }
a { color:var(--run); text-decoration:none; } a:hover { text-decoration:underline; }
code, pre, .sha { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
header.top { display:flex; gap:1rem; align-items:center; padding:.6rem 1rem; border-bottom:1px solid var(--line); background:var(--card); }
header.top .brand { font-weight:700; color:var(--fg); }
header.top nav { flex:1; }
form.who { display:flex; gap:.5rem; align-items:center; margin:0; color:var(--muted); }
main { padding:1rem; max-width:1200px; margin:0 auto; }
h1 { font-size:1.4rem; margin:.2rem 0 .6rem; } h2 { font-size:1.1rem; margin:1.4rem 0 .5rem; }
.muted { color:var(--muted); }
button, select, input { font:inherit; padding:.35rem .6rem; border:1px solid var(--line); border-radius:6px; background:var(--bg); color:var(--fg); }
button { cursor:pointer; background:var(--card); } button.primary { background:var(--run); color:#fff; border-color:var(--run); }
button.link { border:none; background:none; color:var(--run); padding:0; }
.filters { display:flex; flex-wrap:wrap; gap:.5rem; align-items:end; margin-bottom:.8rem; }
.filters label { display:flex; flex-direction:column; font-size:12px; color:var(--muted); }
table { width:100%; border-collapse:collapse; }
th, td { text-align:left; padding:.45rem .5rem; border-bottom:1px solid var(--line); vertical-align:top; }
th { font-size:12px; color:var(--muted); font-weight:600; }
.chip { display:inline-block; padding:.05rem .5rem; border-radius:999px; font-size:12px; font-weight:600; border:1px solid currentColor; white-space:nowrap; }
.s-in-sync, .h-Healthy, .r-succeeded, .r-healed, .r-done, .r-queued { color:var(--ok); }
.s-drifted, .s-held, .r-drifted, .r-superseded, .locked, .h-Missing, .h-Suspended { color:var(--warn); }
.s-failed, .h-Degraded, .r-failed, .r-errored, .r-refused { color:var(--bad); }
.s-deploying, .h-Progressing, .r-running { color:var(--run); }
.s-never-deployed, .h-Unknown { color:var(--off); }
.stage { font-size:13px; color:var(--run); }
.panel { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:.8rem 1rem; margin:.8rem 0; }
.facts { display:grid; grid-template-columns: max-content 1fr; gap:.25rem 1rem; margin:0; }
.facts dt { color:var(--muted); } .facts dd { margin:0; }
.actions { display:flex; flex-wrap:wrap; gap:.6rem; }
.actions form { display:flex; gap:.4rem; align-items:center; margin:0; }
.notice { border-left:4px solid var(--run); } .notice.refused { border-left-color:var(--bad); }
details > summary { cursor:pointer; }
pre.diff { overflow-x:auto; background:var(--bg); border:1px solid var(--line); border-radius:6px; padding:.5rem; margin:.4rem 0; }
.diff .add { color:var(--ok); } .diff .del { color:var(--bad); }
.timings { font-size:12px; color:var(--muted); }
.login { max-width:420px; margin:3rem auto; text-align:center; }
.login a.button { display:block; margin:.6rem 0; padding:.6rem; border:1px solid var(--line); border-radius:6px; background:var(--card); color:var(--fg); }
@media (max-width: 720px) {
  table.fleet thead { display:none; }
  table.fleet tr { display:block; border:1px solid var(--line); border-radius:8px; margin:.6rem 0; padding:.3rem .2rem; }
  table.fleet td { display:flex; justify-content:space-between; gap:1rem; border:none; padding:.2rem .6rem; }
  table.fleet td::before { content: attr(data-label); color:var(--muted); font-size:12px; }
  main { padding:.6rem; }
}
`;
