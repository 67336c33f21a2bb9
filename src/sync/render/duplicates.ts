import type { ObjectProblem } from '../../errors.js';
import { subjectOf, type Manifest } from '../manifest.js';
import { findDuplicates, identityKey } from '../normalise.js';

/**
 * A render's "defined twice" problems, one for every later copy of an object, naming both files
 * (see `findDuplicates`). Read before `normalise`: an object without a namespace and its copy in
 * the target's namespace are told apart here, and caught by plan once both are normalised.
 */
export function duplicateProblems(manifests: readonly Manifest[]): ObjectProblem[] {
  const identified = manifests.map(({ object, file }) => ({ key: identityKey(object, object.metadata.namespace, object.metadata.name), subject: subjectOf(object), file }));
  return findDuplicates(identified).problems;
}
