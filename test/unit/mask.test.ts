import { describe, expect, it } from 'vitest';
import { objectDiff } from '../../src/sync/diff.js';
import { maskSecrets } from '../../src/sync/mask.js';

const CANARY = 'canary-Pa55w0rd-7f3a';
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
/** Every form the canary could leak in: as written, base64, JSON-escaped in a string. */
const forms = (text: string) => [text, b64(text), JSON.stringify(text).slice(1, -1)];

type Obj = Record<string, unknown>;
const secret = (extra: { data?: Obj; stringData?: Obj; labels?: Obj; annotations?: Obj } = {}): Obj => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'db', namespace: 'shop', ...(extra.labels ? { labels: extra.labels } : {}), ...(extra.annotations ? { annotations: extra.annotations } : {}) },
  type: 'Opaque',
  ...(extra.data ? { data: extra.data } : {}),
  ...(extra.stringData ? { stringData: extra.stringData } : {}),
});
/** What client-side `kubectl apply` records: the manifest as applied, compact JSON and a newline. */
const lastApplied = (manifest: Obj) => ({ 'kubectl.kubernetes.io/last-applied-configuration': `${JSON.stringify(manifest)}\n` });

describe('maskSecrets', () => {
  it('masks data and stringData, saying whether each value changed', () => {
    const [before, after] = maskSecrets(secret({ data: { same: b64('same-value'), old: b64('old-value') } }), secret({ data: { same: b64('same-value'), old: b64('new-value') }, stringData: { added: 'x' } }));
    expect(before?.data).toEqual({ same: '*** (unchanged)', old: '*** (before)' });
    expect(after?.data).toEqual({ same: '*** (unchanged)', old: '*** (after)' });
    expect(after?.stringData).toEqual({ added: '*** (after)' });
  });

  it('masks the values kubectl recorded in the last-applied annotation, keeping the rest of it', () => {
    const manifest = secret({ stringData: { password: CANARY }, data: { token: b64(`${CANARY}-token`) } });
    const live = secret({ data: { password: b64(CANARY), token: b64(`${CANARY}-token`) }, annotations: lastApplied(manifest) });
    const [before] = maskSecrets(live, undefined);
    const recorded = JSON.parse(((before?.metadata as Obj).annotations as Obj)['kubectl.kubernetes.io/last-applied-configuration'] as string) as Obj;
    expect(recorded).toMatchObject({ kind: 'Secret', metadata: { name: 'db' }, stringData: { password: '*** (before)' }, data: { token: '*** (before)' } });
    for (const form of forms(CANARY)) expect(JSON.stringify(before)).not.toContain(form);
  });

  it('masks last-applied that is not JSON whole', () => {
    const [before] = maskSecrets(secret({ annotations: { 'kubectl.kubernetes.io/last-applied-configuration': `{"stringData":{"p":"${CANARY}"` } }), undefined);
    expect((before?.metadata as Obj).annotations).toEqual({ 'kubectl.kubernetes.io/last-applied-configuration': '*** (not JSON)' });
  });

  it('replaces a value embedded in any other annotation, label or field', () => {
    const live = secret({ data: { password: b64(CANARY) }, annotations: { 'example.com/dsn': `postgres://app:${CANARY}@db:5432/shop`, 'example.com/b64': `token=${b64(CANARY)}` }, labels: { hint: CANARY.slice(0, 20) } });
    const [before] = maskSecrets({ ...live, note: { nested: [`json: {"p":${JSON.stringify(CANARY)}}`] } }, undefined);
    expect((before?.metadata as Obj).annotations).toEqual({ 'example.com/dsn': 'postgres://app:***@db:5432/shop', 'example.com/b64': 'token=***' });
    expect(before?.note).toEqual({ nested: ['json: {"p":"***"}'] });
  });

  it('searches for values recorded only in the last-applied annotation, too', () => {
    const live = secret({ annotations: { ...lastApplied(secret({ stringData: { old: CANARY } })), 'example.com/copy': CANARY } });
    const [before] = maskSecrets(live, undefined);
    expect(JSON.stringify(before)).not.toContain(CANARY);
  });

  it('does not search for very short values elsewhere (they would mask unrelated text), but masks them in data', () => {
    const [before] = maskSecrets(secret({ data: { replicas: b64('1') }, labels: { tier: '1' } }), undefined);
    expect(before).toMatchObject({ data: { replicas: '*** (before)' }, metadata: { labels: { tier: '1' } } });
  });

  it('leaves binary values without a text form alone, and other kinds untouched', () => {
    const binary = Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x81]).toString('base64');
    const [before] = maskSecrets(secret({ data: { key: binary } }), undefined);
    expect(before?.data).toEqual({ key: '*** (before)' });
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { password: CANARY } };
    expect(maskSecrets(cm, cm)).toEqual([cm, cm]);
  });

  it('does not change its inputs', () => {
    const live = secret({ data: { password: b64(CANARY) }, annotations: lastApplied(secret({ stringData: { password: CANARY } })) });
    const copy = structuredClone(live);
    maskSecrets(live, live);
    expect(live).toEqual(copy);
  });
});

describe('objectDiff of a Secret', () => {
  it('shows a label added to a kubectl-applied Secret without the value its last-applied annotation holds', () => {
    const manifest = secret({ stringData: { password: CANARY } });
    const live = secret({ data: { password: b64(CANARY) }, annotations: lastApplied(manifest) });
    const desired = secret({ data: { password: b64(CANARY) }, labels: { team: 'shop' }, annotations: lastApplied(manifest) });
    const diff = objectDiff('Secret/shop/db', live, desired);
    expect(diff).toContain('+    team: shop');
    // the recorded manifest shows in the context, its value masked
    expect(diff).toContain('"stringData":{"password":"*** (unchanged)"}');
    for (const form of forms(CANARY)) expect(diff).not.toContain(form);
  });

  it('shows the last-applied annotation going (kubectl takeover) masked', () => {
    const live = secret({ data: { password: b64(CANARY) }, annotations: lastApplied(secret({ stringData: { password: CANARY } })) });
    const desired = secret({ data: { password: b64(CANARY) } });
    const diff = objectDiff('Secret/shop/db', live, desired);
    expect(diff).toMatch(/^-\s+kubectl\.kubernetes\.io\/last-applied-configuration: \|\n-\s+\{.*"stringData":\{"password":"\*\*\* \(before\)"\}\}$/m);
    for (const form of forms(CANARY)) expect(diff).not.toContain(form);
  });

  it('shows a pruned Secret without its values', () => {
    const diff = objectDiff('Secret/shop/db', secret({ data: { password: b64(CANARY) }, annotations: { note: `pw=${CANARY}` } }), undefined);
    expect(diff).toContain('note: pw=***');
    for (const form of forms(CANARY)) expect(diff).not.toContain(form);
  });
});

describe('objectDiff of a Secret: changed and unchanged keys', () => {
  const value = (name: string) => `${CANARY}-${name}`;

  it('marks each key changed, unchanged, added or removed, and shows none of the values', () => {
    const live = secret({ data: { same: b64(value('same')), changed: b64(value('old')), removed: b64(value('removed')) } });
    const desired = secret({ data: { same: b64(value('same')), changed: b64(value('new')), added: b64(value('added')) } });
    const diff = objectDiff('Secret/shop/db', live, desired);
    const lines = diff.split('\n');
    expect(lines).toEqual(expect.arrayContaining([`-  changed: '*** (before)'`, `-  removed: '*** (before)'`, `+  added: '*** (after)'`, `+  changed: '*** (after)'`, `   same: '*** (unchanged)'`]));
    for (const name of ['same', 'old', 'new', 'removed', 'added']) for (const form of forms(value(name))) expect(diff).not.toContain(form);
  });

  it('a rotated value alone still makes a diff, so the change is not hidden', () => {
    const diff = objectDiff('Secret/shop/db', secret({ data: { password: b64(value('old')) } }), secret({ data: { password: b64(value('new')) } }));
    expect(diff.split('\n')).toEqual(expect.arrayContaining([`-  password: '*** (before)'`, `+  password: '*** (after)'`]));
  });

  it('an unchanged Secret has no diff', () => {
    const live = secret({ data: { password: b64(CANARY) }, stringData: { token: value('token') } });
    expect(objectDiff('Secret/shop/db', live, structuredClone(live))).toBe('');
  });

  it('a Secret created or pruned shows its keys, masked, and none of its values', () => {
    const created = objectDiff('Secret/shop/db', undefined, secret({ stringData: { password: CANARY } }));
    expect(created).toMatch(/^\+\+\+ git\/Secret\/shop\/db$/m);
    expect(created.split('\n')).toContain(`+  password: '*** (after)'`);
    const pruned = objectDiff('Secret/shop/db', secret({ data: { password: b64(CANARY) } }), undefined);
    expect(pruned.split('\n')).toContain(`-  password: '*** (before)'`);
    for (const form of forms(CANARY)) {
      expect(created).not.toContain(form);
      expect(pruned).not.toContain(form);
    }
  });

  it('a value moved from stringData (Git) to data (live) reads as changed, in neither form', () => {
    const diff = objectDiff('Secret/shop/db', secret({ data: { password: b64(CANARY) } }), secret({ stringData: { password: CANARY } }));
    expect(diff).toContain(`-  password: '*** (before)'`);
    expect(diff).toContain(`+  password: '*** (after)'`);
    for (const form of forms(CANARY)) expect(diff).not.toContain(form);
  });
});

describe('maskSecrets: values that need escaping', () => {
  // quotes, a backslash and a newline: the JSON-escaped form differs from the value as written
  const tricky = 'pa"ss\\wo\nrd-$&-9f2c';

  it('finds a value JSON-escaped inside another annotation', () => {
    const [before] = maskSecrets(secret({ stringData: { password: tricky }, annotations: { 'example.com/config': JSON.stringify({ password: tricky, user: 'app' }) } }), undefined);
    const annotation = ((before?.metadata as Obj).annotations as Obj)['example.com/config'] as string;
    expect(JSON.parse(annotation)).toEqual({ password: '***', user: 'app' });
  });

  it('finds the base64 form of a stringData value elsewhere', () => {
    const [, after] = maskSecrets(undefined, secret({ stringData: { token: tricky }, annotations: { 'example.com/b64': `Basic ${b64(tricky)}` } }));
    expect(((after?.metadata as Obj).annotations as Obj)['example.com/b64']).toBe('Basic ***');
  });

  it('leaks no form of it into a diff', () => {
    const manifest = secret({ stringData: { password: tricky } });
    const live = secret({ data: { password: b64(tricky) }, annotations: { ...lastApplied(manifest), 'example.com/config': JSON.stringify({ password: tricky }) } });
    const diff = objectDiff('Secret/shop/db', live, secret({ data: { password: b64(`${tricky}2`) } }));
    expect(diff).not.toBe('');
    for (const form of [...forms(tricky), ...forms(`${tricky}2`), ...tricky.split('\n')]) expect(diff).not.toContain(form);
  });
});

describe('which objects are masked', () => {
  it.each([
    { name: 'a core Secret', object: { apiVersion: 'v1', kind: 'Secret' }, masked: true },
    { name: 'a Secret without apiVersion (as listed)', object: { kind: 'Secret' }, masked: true },
    { name: 'a ConfigMap', object: { apiVersion: 'v1', kind: 'ConfigMap' }, masked: false },
    { name: 'a custom kind named Secret in another group', object: { apiVersion: 'example.com/v1', kind: 'Secret' }, masked: false },
  ])('$name: $masked', ({ object, masked }) => {
    const [before] = maskSecrets({ ...object, metadata: { name: 'x' }, data: { password: CANARY } }, undefined);
    expect(before?.data).toEqual({ password: masked ? '*** (before)' : CANARY });
  });
});
