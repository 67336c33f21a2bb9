import { describe, expect, it } from 'vitest';
import { configSchema, type TargetConfig } from '../../src/config/schema.js';
import { candidatesForPush, targetsForPullRequest, targetsForPush, targetsOfRepo, touches } from '../../src/events/route.js';
import { commentEvent, pullRequestEvent, pushEvent } from '../helpers/events.js';

// Which targets an event reaches. The targets are parsed by the real config schema, so repo
// specs and defaults are what production sees.
const targets: TargetConfig[] = configSchema.parse({
  providers: { github: { webhookSecret: 's' }, gitlab: { webhookToken: 't' }, generic: { secret: 'g' } },
  clusters: { c: { inCluster: true } },
  targets: [
    { name: 'shop-prod', repo: 'github:acme/shop', path: 'deploy/prod', cluster: 'c', namespace: 'shop' },
    { name: 'shop-root', repo: 'github:acme/shop', cluster: 'c', namespace: 'shop-all' },
    { name: 'shop-next', repo: 'github:acme/shop', branch: 'next', path: 'deploy/prod', cluster: 'c', namespace: 'shop-next' },
    { name: 'infra', repo: 'gitlab:platform/infra', path: 'k8s', cluster: 'c', namespace: 'infra' },
    { name: 'by-id', repo: 'gitlab:1234', path: 'k8s', cluster: 'c', namespace: 'by-id' },
  ],
}).targets;

const names = (ts: readonly TargetConfig[]) => ts.map((t) => t.name);

const push = pushEvent;

describe('touches', () => {
  it.each([
    { name: 'a file under the path', path: 'deploy', changed: ['deploy/web.yaml'], expected: true },
    { name: 'a file deep under the path', path: 'deploy', changed: ['docs/x.md', 'deploy/a/b/c.yaml'], expected: true },
    { name: 'the path itself (a file target or a removed folder)', path: 'deploy', changed: ['deploy'], expected: true },
    { name: 'a sibling whose name starts like the path', path: 'deploy', changed: ['deploy-old/web.yaml', 'deployment.md'], expected: false },
    { name: 'the parent of the path', path: 'deploy/prod', changed: ['deploy/README.md'], expected: false },
    { name: 'nothing listed (an empty commit)', path: 'deploy', changed: [], expected: false },
    { name: 'unknown changes (the host did not list them all)', path: 'deploy', changed: undefined, expected: true },
    { name: 'the whole repository, whatever changed', path: '.', changed: ['README.md'], expected: true },
  ])('$name: $expected', ({ path, changed, expected }) => {
    expect(touches(path, changed)).toBe(expected);
  });
});

describe('which targets a push reaches', () => {
  it.each([
    { name: 'a change under a path reaches that target and the one on the whole repository', push: push(), expected: ['shop-prod', 'shop-root'] },
    { name: 'a change elsewhere reaches only the whole-repository target', push: push({ changedPaths: ['README.md'] }), expected: ['shop-root'] },
    { name: 'another branch reaches the targets of that branch only', push: push({ ref: 'refs/heads/next' }), expected: ['shop-next'] },
    { name: 'a branch no target follows reaches none', push: push({ ref: 'refs/heads/feature' }), expected: [] },
    { name: 'a tag named like a followed branch reaches none', push: push({ ref: 'refs/tags/main' }), expected: [] },
    { name: 'a deleted branch reaches none', push: push({ deleted: true, after: '0'.repeat(40) }), expected: [] },
    { name: 'the repository path compares case-insensitively', push: push({ repo: 'Acme/Shop' }), expected: ['shop-prod', 'shop-root'] },
    { name: 'the same path on another host reaches none', push: push({ provider: 'gitlab' }), expected: [] },
    { name: 'a nested GitLab group path', push: push({ provider: 'gitlab', repo: 'platform/infra', changedPaths: ['k8s/app.yaml'] }), expected: ['infra'] },
    { name: 'a target named by GitLab project id matches the id, whatever the path', push: push({ provider: 'gitlab', repo: 'renamed/project', repoId: '1234', changedPaths: ['k8s/app.yaml'] }), expected: ['by-id'] },
    { name: 'a project path that looks like the id does not match it', push: push({ provider: 'gitlab', repo: '1234', repoId: '99', changedPaths: ['k8s/app.yaml'] }), expected: [] },
    { name: 'the generic endpoint names the repository by its spec', push: push({ provider: 'generic', repo: 'github:acme/shop' }), expected: ['shop-prod', 'shop-root'] },
    { name: 'the generic spec compares case-insensitively too', push: push({ provider: 'generic', repo: 'GitHub:ACME/shop' }), expected: ['shop-prod', 'shop-root'] },
    { name: 'the generic endpoint without the host prefix reaches none', push: push({ provider: 'generic', repo: 'acme/shop' }), expected: [] },
  ])('$name', ({ push: event, expected }) => {
    expect(names(targetsForPush(targets, event))).toEqual(expected);
  });

  it('candidates ignore paths: they are the targets whose read paths must be looked up', () => {
    expect(names(candidatesForPush(targets, push({ changedPaths: ['README.md'] })))).toEqual(['shop-prod', 'shop-root']);
  });

  it.each([
    { name: 'a change in a folder the last render read reaches the target', changed: ['base/web.yaml'], read: ['base'], expected: ['shop-prod', 'shop-root'] },
    { name: 'a root file the render read counts by itself', changed: ['shared.yaml'], read: ['shared.yaml'], expected: ['shop-prod', 'shop-root'] },
    { name: 'a sibling of a read folder does not', changed: ['base-old/web.yaml'], read: ['base'], expected: ['shop-root'] },
    { name: 'a parent of a read folder does not', changed: ['lib/README.md'], read: ['lib/base'], expected: ['shop-root'] },
  ])('$name', ({ changed, read, expected }) => {
    expect(names(targetsForPush(targets, push({ changedPaths: changed }), new Map([['shop-prod', read]])))).toEqual(expected);
  });

  it('read paths do not let a push reach a target of another branch', () => {
    const readPaths = new Map([['shop-next', ['base']]]);
    expect(names(targetsForPush(targets, push({ changedPaths: ['base/web.yaml'] }), readPaths))).toEqual(['shop-root']);
  });
});

describe('which targets a pull request reaches', () => {
  const pr = pullRequestEvent;


  it.each([
    { name: 'a request into main reaches the targets of main, whatever it changes', pr: pr(), expected: ['shop-prod', 'shop-root'] },
    { name: 'a request into next reaches the targets of next', pr: pr({ base: { ref: 'next' } }), expected: ['shop-next'] },
    { name: 'the head branch does not decide (a request from main into next)', pr: pr({ head: { sha: 'c'.repeat(40), ref: 'main' }, base: { ref: 'next' } }), expected: ['shop-next'] },
    { name: 'a request into an unfollowed branch reaches none', pr: pr({ base: { ref: 'release' } }), expected: [] },
    { name: 'a fork still reaches the targets (previews decide on forks later)', pr: pr({ fork: true }), expected: ['shop-prod', 'shop-root'] },
    { name: 'a merge request by GitLab project id', pr: pr({ provider: 'gitlab', repo: 'other/name', repoId: '1234' }), expected: ['by-id'] },
    { name: 'another repository reaches none', pr: pr({ repo: 'acme/blog' }), expected: [] },
  ])('$name', ({ pr: event, expected }) => {
    expect(names(targetsForPullRequest(targets, event))).toEqual(expected);
  });
});

describe('which targets a comment reaches', () => {
  const comment = commentEvent;

  it.each([
    { name: 'every target of the repository, of every branch', comment: comment(), expected: ['shop-prod', 'shop-root', 'shop-next'] },
    { name: 'by GitLab path', comment: comment({ provider: 'gitlab', repo: 'Platform/Infra' }), expected: ['infra'] },
    { name: 'by GitLab project id', comment: comment({ provider: 'gitlab', repo: 'moved/elsewhere', repoId: '1234' }), expected: ['by-id'] },
    { name: 'none of another host', comment: comment({ provider: 'gitlab' }), expected: [] },
  ])('$name', ({ comment: event, expected }) => {
    expect(names(targetsOfRepo(targets, event))).toEqual(expected);
  });
});
