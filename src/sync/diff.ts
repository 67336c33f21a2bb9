import { createTwoFilesPatch } from 'diff';
import * as yaml from 'js-yaml';
import { isSecret, maskSecrets } from './mask.js';

type Obj = Record<string, unknown>;

const volatileMetadata = ['managedFields', 'resourceVersion', 'generation', 'uid', 'creationTimestamp', 'selfLink'];

/** How to compare: `status` belongs to Git only for kinds without a status subresource. */
export interface CompareOptions {
  keepStatus?: boolean;
}

/**
 * The part of an object that Git decides: no controller-written status, no server bookkeeping in
 * metadata. A shallow copy (the object and its metadata are new, nested values are shared):
 * callers only read it, and cloning whole objects took ~4% of the worker's CPU in row 2 of the
 * bench (plan of 50 changed objects).
 */
export function comparable(object: Obj | undefined, options: CompareOptions = {}): Obj | undefined {
  if (!object) return undefined;
  const copy: Obj = { ...object };
  if (!options.keepStatus) delete copy.status;
  if (copy.metadata && typeof copy.metadata === 'object') {
    const metadata: Obj = { ...(copy.metadata as Obj) };
    for (const key of volatileMetadata) delete metadata[key];
    const annotations = metadata.annotations as Obj | undefined;
    if (annotations && Object.keys(annotations).length === 0) delete metadata.annotations;
    copy.metadata = metadata;
  }
  return copy;
}

function toYaml(object: Obj | undefined): string {
  return object ? yaml.dump(object, { sortKeys: true, lineWidth: -1, noRefs: true }) : '';
}

/**
 * The unified diff of a file created or deleted whole (`text` ends in a newline, as yaml.dump
 * writes): one hunk of every line, which is what createTwoFilesPatch returns without running its
 * edit-distance search over lines that cannot match (a first apply of 1,000 objects ran it 1,000 times).
 */
function wholeFilePatch(fromName: string, toName: string, text: string, sign: '+' | '-'): string {
  const lines = text.slice(0, -1).split('\n');
  const range = sign === '+' ? `-0,0 +1,${lines.length}` : `-1,${lines.length} +0,0`;
  return `--- ${fromName}\n+++ ${toName}\n@@ ${range} @@\n${lines.map((l) => sign + l).join('\n')}\n`;
}

/** The unified diff of two YAML texts that differ, named as Driftless's diffs are. */
function patchOf(subject: string, hasLive: boolean, from: string, to: string): string {
  const fromName = hasLive ? `live/${subject}` : '/dev/null';
  if (from === '') return wholeFilePatch(fromName, `git/${subject}`, to, '+');
  if (to === '') return wholeFilePatch(fromName, `git/${subject}`, from, '-');
  const patch = createTwoFilesPatch(fromName, `git/${subject}`, from, to, undefined, undefined, { context: 3 });
  // drop the "Index:"/"====" preamble createTwoFilesPatch writes before the --- and +++ lines
  return patch.slice(patch.indexOf('---'));
}

/** A unified diff of two objects, Secret values masked (see maskSecrets); empty when they do not differ. */
export function objectDiff(subject: string, live: Obj | undefined, desired: Obj | undefined, options: CompareOptions = {}): string {
  const [before, after] = maskSecrets(comparable(live, options), comparable(desired, options));
  const from = toYaml(before);
  const to = toYaml(after);
  return from === to ? '' : patchOf(subject, live !== undefined, from, to);
}

/** Whether a live object and Git's differ, and the diff a reader is shown. */
export interface Comparison {
  /** They differ in anything Git decides: compared unmasked, so a Secret value that changed counts. */
  changed: boolean;
  /** `objectDiff` of the two: empty when they do not differ. */
  diff: string;
}

/**
 * `objectDiff` and whether the objects differ, from one copy and one YAML text of each side
 * (plan needs both for every object it compares; a Secret's diff is made again, masked).
 */
export function compareObjects(subject: string, live: Obj | undefined, desired: Obj | undefined, options: CompareOptions = {}): Comparison {
  const before = comparable(live, options);
  const after = comparable(desired, options);
  const from = toYaml(before);
  const to = toYaml(after);
  if (from === to) return { changed: false, diff: '' };
  if (isSecret(before) || isSecret(after)) return { changed: true, diff: objectDiff(subject, live, desired, options) };
  return { changed: true, diff: patchOf(subject, live !== undefined, from, to) };
}
