/**
 * PR comment text, checked against golden files in test/fixtures/comment/*.md.
 * After an intended change to the comment, rewrite the golden files and review their diff:
 *   UPDATE_GOLDEN=1 npx vitest run test/unit/comment.test.ts --config vitest.unit.config.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { commentMarker, renderComment, type TargetSection } from '../../src/report/comment.js';
import type { Change } from '../../src/sync/changeset.js';

const goldenDir = fileURLToPath(new URL('../fixtures/comment/', import.meta.url));
const update = process.env.UPDATE_GOLDEN === '1';

function golden(name: string, actual: string): void {
  const file = `${goldenDir}${name}.md`;
  if (update) writeFileSync(file, actual);
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

const github = { maxLength: 65536 };
const head = '3f2c1a9e8b7d6c5f4e3d2c1b0a9f8e7d6c5b4a39';
const merge = 'd4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3';
const at = '2026-11-26T09:30:12.000Z';

const webDiff = `--- /dev/null
+++ git/Deployment/shop/web
@@ -0,0 +1,9 @@
+apiVersion: apps/v1
+kind: Deployment
+metadata:
+  name: web
+  namespace: shop
+spec:
+  replicas: 3
+  selector:
+    matchLabels: {app: web}
`;

const workerDiff = `--- /dev/null
+++ git/Deployment/shop/worker
@@ -0,0 +1,5 @@
+apiVersion: apps/v1
+kind: Deployment
+metadata:
+  name: worker
+  namespace: shop
`;

const settingsDiff = `--- live/ConfigMap/shop/settings
+++ git/ConfigMap/shop/settings
@@ -1,6 +1,6 @@
 apiVersion: v1
 data:
-  LOG_LEVEL: info
+  LOG_LEVEL: debug
   REGION: eu-west-1
 kind: ConfigMap
 metadata:
`;

const shopChanges: Change[] = [
  { subject: 'ConfigMap/shop/settings', action: 'configured', file: 'apps/shop/settings.yaml', diff: settingsDiff },
  { subject: 'Deployment/shop/web', action: 'created', file: 'apps/shop/web.yaml', diff: webDiff },
  { subject: 'Service/shop/web', action: 'unchanged', file: 'apps/shop/web.yaml' },
  { subject: 'Service/shop/legacy', action: 'deleted' },
  { subject: 'Deployment/shop/worker', action: 'created', file: 'apps/shop/worker.yaml', diff: workerDiff },
  { subject: 'ServiceAccount/shop/web', action: 'unchanged', file: 'apps/shop/web.yaml' },
  { subject: 'Namespace/shop', action: 'unchanged', file: 'apps/shop/namespace.yaml' },
];

const planned = (changes: Change[], sha = head) => ({ sha, at, outcome: 'planned' as const, changes });

/** `n` configured objects, each with a diff of `lines` lines. */
function manyChanges(n: number, lines: number): Change[] {
  return Array.from({ length: n }, (_, i) => {
    const body = Array.from({ length: lines }, (_, l) => `-  key${l}: old-${i}\n+  key${l}: new-${i}`).join('\n');
    return {
      subject: `ConfigMap/shop/config-${String(i).padStart(3, '0')}`,
      action: 'configured' as const,
      file: `apps/shop/config-${i}.yaml`,
      diff: `--- live/ConfigMap/shop/config-${i}\n+++ git/ConfigMap/shop/config-${i}\n@@ -1,${lines} +1,${lines} @@\n${body}\n`,
    };
  });
}

/** The text with its inline code spans removed. */
function outsideCode(text: string): string {
  return text.replace(/(`+)(?:(?!\1)[^\n])+?\1/g, '');
}

/** The same pseudo-random sequence on every run, so a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('renderComment: golden files', () => {
  it('one target with creates, changes, prunes and their diffs', () => {
    golden('one-target', renderComment([{ target: 'shop', preview: planned(shopChanges) }], github));
  });

  it('adoptions, takeovers and releases say what they do', () => {
    const changes: Change[] = [
      { subject: 'Namespace/shared', action: 'adopted', file: 'apps/shop/shared.yaml', reason: 'adopts an existing object written by kubectl-create; prune will release it, not delete it', diff: '--- live/Namespace/shared\n+++ git/Namespace/shared\n@@ -1,3 +1,5 @@\n apiVersion: v1\n kind: Namespace\n metadata:\n+  labels:\n+    applyset.kubernetes.io/part-of: applyset-x-v1\n' },
      { subject: 'Service/shop/web', action: 'configured', file: 'apps/shop/web.yaml', reason: 'takes over fields from kubectl-patch', diff: '--- live/Service/shop/web\n+++ git/Service/shop/web\n@@ -1,2 +1,2 @@\n ports:\n-  - port: 83\n+  - port: 80\n' },
      { subject: 'Namespace/legacy', action: 'released', reason: 'adopted, not created by this target: left in place with what it holds, no longer a member' },
      { subject: 'ConfigMap/shop/old', action: 'deleted' },
      { subject: 'ConfigMap/shop/settings', action: 'unchanged', file: 'apps/shop/settings.yaml' },
    ];
    golden('adopt-release', renderComment([{ target: 'shop', preview: planned(changes) }], github));
  });

  it('two targets, one failed on a policy violation and an invalid manifest', () => {
    const sections: TargetSection[] = [
      {
        target: 'shop-staging',
        preview: {
          sha: head,
          at,
          outcome: 'failed',
          message: '2 manifests would be rejected',
          problems: [
            { subject: 'Deployment/shop/web', file: 'apps/shop/web.yaml', message: 'policy "no-root": container web runs as root (securityContext.runAsNonRoot is false)' },
            { subject: '', file: 'apps/shop/broken.yaml', message: 'invalid YAML: mapping values are not allowed here (line 7, column 12)' },
          ],
        },
      },
      { target: 'billing', preview: planned([{ subject: 'ConfigMap/billing/settings', action: 'configured', file: 'apps/billing/settings.yaml', diff: settingsDiff.replaceAll('shop', 'billing') }]) },
    ];
    golden('two-targets-one-failed', renderComment(sections, github));
  });

  it('after the merge: the deploy succeeded', () => {
    const section: TargetSection = {
      target: 'shop',
      preview: planned(shopChanges),
      deploy: { sha: merge, at, result: 'succeeded', summary: { created: 2, configured: 1, deleted: 1, unchanged: 3, skipped: 0 } },
    };
    golden('merged-succeeded', renderComment([section], github));
  });

  it('after the merge: the deploy failed and was rolled back', () => {
    const section: TargetSection = {
      target: 'shop',
      preview: planned(shopChanges),
      deploy: {
        sha: merge,
        at,
        result: 'rolled back',
        rolledBackTo: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
        message: 'Deployment/shop/web not healthy after 5m: 0/3 replicas available (ImagePullBackOff)',
        summary: { created: 2, configured: 1, deleted: 0, unchanged: 3, skipped: 0 },
      },
    };
    golden('rolled-back', renderComment([section], github));
  });

  it('every other deploy result reads differently', () => {
    const deploy = (target: string, d: Partial<NonNullable<TargetSection['deploy']>>): TargetSection => ({
      target,
      deploy: { sha: merge, at, result: 'succeeded', ...d },
    });
    const sections = [
      deploy('a-failed', { result: 'failed', message: 'Deployment/shop/web not healthy after 5m', summary: { created: 0, configured: 1, deleted: 0, unchanged: 4, skipped: 0 } }),
      deploy('b-errored', { result: 'errored', message: 'connect ECONNREFUSED 10.0.0.1:6443' }),
      deploy('c-superseded', { result: 'superseded', message: 'superseded by 9e8d7c6' }),
      deploy('d-queued', { result: 'queued' }),
      deploy('e-running', { result: 'running', message: 'waiting for health: 1/3 healthy' }),
      deploy('f-no-changes', { result: 'succeeded', summary: { created: 0, configured: 0, deleted: 0, unchanged: 7, skipped: 0 } }),
    ];
    golden('deploy-results', renderComment(sections, github));
  });

  it('a target locked by a pull request, with replies to commands', () => {
    const section: TargetSection = {
      target: 'shop',
      preview: planned([
        { subject: 'Deployment/shop/web', action: 'configured', file: 'apps/shop/web.yaml', diff: webDiff },
        { subject: 'Job/shop/migrate', action: 'skipped', file: 'apps/shop/migrate.yaml', reason: 'spec.template is immutable; delete the Job to run it again' },
      ]),
      lock: { pr: 42, user: 'alice', at: '2026-11-26T08:05:00Z' },
      notes: ['@bob ran `/deploy shop`: refused, shop is locked by #42', '/diff shop: preview queued'],
    };
    golden('locked', renderComment([section], github));
  });

  it('no changes', () => {
    const unchanged: Change[] = shopChanges.map((c) => ({ subject: c.subject, action: 'unchanged', file: c.file }));
    golden('no-changes', renderComment([{ target: 'shop', preview: planned(unchanged) }, { target: 'empty' }], github));
  });

  it('a diff containing ``` cannot close its fence', () => {
    const diff = '--- live/ConfigMap/docs/readme\n+++ git/ConfigMap/docs/readme\n@@ -1,3 +1,4 @@\n data:\n   README.md: |\n-    ```sh\n+    ````sh\n+    ``` not the end\n';
    const text = renderComment([{ target: 'docs', preview: planned([{ subject: 'ConfigMap/docs/readme', action: 'configured', file: 'docs.yaml', diff }]) }], github);
    golden('diff-with-fence', text);
    expect(text).toContain('`````diff\n');
  });

  it('a hostile subject, file and message stay inert text', () => {
    const section: TargetSection = {
      target: 'shop',
      preview: {
        sha: head,
        at,
        outcome: 'failed',
        message: 'see <a href="https://evil.example">here</a> | **now**',
        problems: [
          { subject: 'ConfigMap/shop/a|b<script>alert(1)</script>', file: 'apps/`x`.yaml', message: '</details>\n\n# took over\n| a | b |\n@org/admins [click](https://evil.example) $x^2$' },
        ],
      },
      deploy: { sha: merge, at, result: 'failed', message: 'x</details><img src=x onerror=alert(1)>' },
    };
    const text = renderComment([section], github);
    golden('hostile-text', text);
    // inside a code span `<script>` is literal text; outside one no tag but ours is left
    expect(text).toContain('- `ConfigMap/shop/a|b<script>alert(1)</script>` (``apps/`x`.yaml``): ');
    expect(outsideCode(text).match(/<\/?[a-z!][^>]*>/gi)).toEqual([commentMarker]);
    expect(text).not.toContain('javascript:');
    expect(text.split('\n').filter((line) => /^(#|\||<\/details)/.test(line))).toEqual(['### Driftless', '#### shop']);
    expect(text).not.toContain('@org');
  });

  it('a huge diff set is cut down to a small maxLength', () => {
    const maxLength = 3000;
    const text = renderComment([{ target: 'shop', preview: planned(manyChanges(200, 40)) }, { target: 'billing', preview: planned(shopChanges) }], { maxLength });
    golden('truncated', text);
    expect(text.length).toBeLessThanOrEqual(maxLength);
    expect(text.startsWith(`${commentMarker}\n`)).toBe(true);
    expect(text).toContain('Preview of `3f2c1a9`: **200 to change**');
    expect(text).toContain('Preview of `3f2c1a9`: **2 to create, 1 to change, 1 to prune**, 3 unchanged');
    expect(text).toMatch(/… and \d+ more objects \(comment size limit\)/);
  });
});

describe('renderComment: truncation', () => {
  it('keeps everything when it fits', () => {
    const text = renderComment([{ target: 'shop', preview: planned(manyChanges(3, 5)) }], github);
    expect(text).not.toContain('omitted');
    expect(text.match(/```diff/g)).toHaveLength(3);
  });

  it('drops diffs largest first, each replaced by a note', () => {
    const changes = [...manyChanges(2, 3), ...manyChanges(1, 60).map((c) => ({ ...c, subject: 'ConfigMap/shop/big' }))];
    const full = renderComment([{ target: 'shop', preview: planned(changes) }], github);
    const text = renderComment([{ target: 'shop', preview: planned(changes) }], { maxLength: full.length - 100 });
    expect(text).toContain('- **change** `ConfigMap/shop/big` (`apps/shop/config-0.yaml`) — _diff of 123 lines omitted (comment size limit); run `driftless diff` or see the status details_');
    expect(text.match(/```diff/g)).toHaveLength(2);
    expect(text).toContain('<summary>3 objects, 2 diffs</summary>');
  });

  it('keeps the marker and every summary when the lists go too', () => {
    const sections = ['a', 'b', 'c'].map((target) => ({ target, preview: planned(manyChanges(500, 2)) }));
    const text = renderComment(sections, { maxLength: 1500 });
    expect(text.length).toBeLessThanOrEqual(1500);
    expect(text.startsWith(commentMarker)).toBe(true);
    for (const target of ['a', 'b', 'c']) expect(text).toContain(`#### ${target}\n\nPreview of \`3f2c1a9\`: **500 to change**`);
  });

  it('cuts the problem list of a failed preview', () => {
    const problems = Array.from({ length: 300 }, (_, i) => ({ subject: `ConfigMap/shop/c${i}`, file: `c${i}.yaml`, message: 'policy "labels": missing label team' }));
    const text = renderComment([{ target: 'shop', preview: { sha: head, at, outcome: 'failed', problems, message: '300 objects violate policies' } }], { maxLength: 4000 });
    expect(text.length).toBeLessThanOrEqual(4000);
    expect(text).toContain('❌ Preview of `3f2c1a9` failed: 300 objects violate policies');
    expect(text).toMatch(/- … and \d+ more problems \(comment size limit\)\n/);
  });

  it('never exceeds maxLength, whatever the sizes', () => {
    const next = random(20261126);
    for (let run = 0; run < 200; run++) {
      const targets = 1 + Math.floor(next() * 6);
      const sections: TargetSection[] = Array.from({ length: targets }, (_, t) => {
        const changes = manyChanges(Math.floor(next() * 80), 1 + Math.floor(next() * 50));
        const section: TargetSection = { target: `target-${t}`, preview: planned(changes) };
        if (next() < 0.3) section.preview = { sha: head, at, outcome: 'failed', message: 'x'.repeat(Math.floor(next() * 3000)), problems: Array.from({ length: Math.floor(next() * 50) }, (_, i) => ({ subject: `A/b${i}`, file: 'f.yaml', message: 'm'.repeat(Math.floor(next() * 400)) })) };
        if (next() < 0.5) section.deploy = { sha: merge, at, result: 'failed', message: 'y'.repeat(Math.floor(next() * 3000)) };
        if (next() < 0.3) section.lock = { pr: 7, user: 'carol', at };
        if (next() < 0.3) section.notes = ['ok', 'n'.repeat(Math.floor(next() * 2000))];
        return section;
      });
      const maxLength = 40 + Math.floor(next() * 30000);
      const text = renderComment(sections, { maxLength });
      expect(text.length, `run ${run}, maxLength ${maxLength}`).toBeLessThanOrEqual(maxLength);
      expect(text.startsWith(commentMarker), `run ${run}`).toBe(true);
    }
  });

  it('shows as many whole targets as fit when even the summaries are too long', () => {
    const sections = Array.from({ length: 12 }, (_, i) => ({ target: `t${i}`, deploy: { sha: merge, at, result: 'failed' as const, message: 'z'.repeat(500) } }));
    const text = renderComment(sections, { maxLength: 600 });
    expect(text.length).toBeLessThanOrEqual(600);
    expect(text).toContain('#### t0\n');
    expect(text).toMatch(/_… \d+ more targets not shown \(comment size limit\)\._\n$/);
  });

  it('refuses a maxLength that cannot hold the marker', () => {
    expect(() => renderComment([], { maxLength: 10 })).toThrow(RangeError);
  });
});

describe('renderComment: details', () => {
  it('sorts targets by name', () => {
    const text = renderComment([{ target: 'web-10' }, { target: 'web-2' }, { target: 'api' }], github);
    expect(text.match(/^#### .*/gm)).toEqual(['#### api', '#### web-2', '#### web-10']);
  });

  it('links merge requests with ! on GitLab', () => {
    const text = renderComment([{ target: 'shop', lock: { pr: 9, user: 'dave', at } }], { maxLength: 1_000_000, referencePrefix: '!' });
    expect(text).toContain('🔒 Locked by !9 (dave) since 2026-11-26 09:30 UTC');
  });

  it('says so when no target is affected', () => {
    expect(renderComment([], github)).toBe(`${commentMarker}\n\n### Driftless\n\nNo target is affected by this pull request.\n`);
  });
});
