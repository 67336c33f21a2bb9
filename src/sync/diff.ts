import { createTwoFilesPatch } from 'diff';
import * as yaml from 'js-yaml';

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

/**
 * Secret values never reach a diff. Equal values on both sides read the same; a changed
 * value reads differently before and after, so a reviewer sees *that* it changed.
 */
export function maskSecrets(before: Obj | undefined, after: Obj | undefined): [Obj | undefined, Obj | undefined] {
  const isSecret = (o: Obj | undefined) => o?.kind === 'Secret' && (o.apiVersion === 'v1' || o.apiVersion === undefined);
  if (!isSecret(before) && !isSecret(after)) return [before, after];
  const b = before && structuredClone(before);
  const a = after && structuredClone(after);
  for (const field of ['data', 'stringData']) {
    const bv = (b?.[field] ?? {}) as Obj;
    const av = (a?.[field] ?? {}) as Obj;
    for (const key of new Set([...Object.keys(bv), ...Object.keys(av)])) {
      const same = key in bv && key in av && bv[key] === av[key];
      if (key in bv) bv[key] = same ? '*** (unchanged)' : '*** (before)';
      if (key in av) av[key] = same ? '*** (unchanged)' : '*** (after)';
    }
  }
  return [b, a];
}

function toYaml(object: Obj | undefined): string {
  return object ? yaml.dump(object, { sortKeys: true, lineWidth: -1, noRefs: true }) : '';
}

/** Whether two objects differ in anything Git decides. */
export function differs(live: Obj | undefined, desired: Obj | undefined, options: CompareOptions = {}): boolean {
  return toYaml(comparable(live, options)) !== toYaml(comparable(desired, options));
}

/** A unified diff of two objects, Secret values masked; empty when they do not differ. */
export function objectDiff(subject: string, live: Obj | undefined, desired: Obj | undefined, options: CompareOptions = {}): string {
  const [before, after] = maskSecrets(comparable(live, options), comparable(desired, options));
  const from = toYaml(before);
  const to = toYaml(after);
  if (from === to) return '';
  const patch = createTwoFilesPatch(live ? `live/${subject}` : '/dev/null', `git/${subject}`, from, to, undefined, undefined, { context: 3 });
  // drop the "Index:"/"====" preamble createTwoFilesPatch writes before the --- and +++ lines
  return patch.slice(patch.indexOf('---'));
}
