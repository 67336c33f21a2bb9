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
