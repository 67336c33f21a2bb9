import { createTwoFilesPatch } from 'diff';
import * as yaml from 'js-yaml';
import { maskSecrets } from './mask.js';

type Obj = Record<string, unknown>;

const volatileMetadata = ['managedFields', 'resourceVersion', 'generation', 'uid', 'creationTimestamp', 'selfLink'];

/** How to compare: `status` belongs to Git only for kinds without a status subresource. */
export interface CompareOptions {
  keepStatus?: boolean;
}

/** The part of an object that Git decides: no controller-written status, no server bookkeeping in metadata. */
export function comparable(object: Obj | undefined, options: CompareOptions = {}): Obj | undefined {
  if (!object) return undefined;
  const copy = structuredClone(object);
  if (!options.keepStatus) delete copy.status;
  const metadata = copy.metadata as Obj | undefined;
  if (metadata) {
    for (const key of volatileMetadata) delete metadata[key];
    const annotations = metadata.annotations as Obj | undefined;
    if (annotations && Object.keys(annotations).length === 0) delete metadata.annotations;
  }
  return copy;
}

function toYaml(object: Obj | undefined): string {
  return object ? yaml.dump(object, { sortKeys: true, lineWidth: -1, noRefs: true }) : '';
}

/** Whether two objects differ in anything Git decides. */
export function differs(live: Obj | undefined, desired: Obj | undefined, options: CompareOptions = {}): boolean {
  return toYaml(comparable(live, options)) !== toYaml(comparable(desired, options));
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

/** A unified diff of two objects, Secret values masked (see maskSecrets); empty when they do not differ. */
export function objectDiff(subject: string, live: Obj | undefined, desired: Obj | undefined, options: CompareOptions = {}): string {
  const [before, after] = maskSecrets(comparable(live, options), comparable(desired, options));
  const from = toYaml(before);
  const to = toYaml(after);
  if (from === to) return '';
  const fromName = live ? `live/${subject}` : '/dev/null';
  if (from === '') return wholeFilePatch(fromName, `git/${subject}`, to, '+');
  if (to === '') return wholeFilePatch(fromName, `git/${subject}`, from, '-');
  const patch = createTwoFilesPatch(fromName, `git/${subject}`, from, to, undefined, undefined, { context: 3 });
  // drop the "Index:"/"====" preamble createTwoFilesPatch writes before the --- and +++ lines
  return patch.slice(patch.indexOf('---'));
}
