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

/** A unified diff of two objects, Secret values masked (see maskSecrets); empty when they do not differ. */
export function objectDiff(subject: string, live: Obj | undefined, desired: Obj | undefined, options: CompareOptions = {}): string {
  const [before, after] = maskSecrets(comparable(live, options), comparable(desired, options));
  const from = toYaml(before);
  const to = toYaml(after);
  if (from === to) return '';
  const patch = createTwoFilesPatch(live ? `live/${subject}` : '/dev/null', `git/${subject}`, from, to, undefined, undefined, { context: 3 });
  // drop the "Index:"/"====" preamble createTwoFilesPatch writes before the --- and +++ lines
  return patch.slice(patch.indexOf('---'));
}
