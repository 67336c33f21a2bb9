import { DriftlessError, ManifestError } from '../../errors.js';
import type { ObjectProblem } from '../../errors.js';
import type { Manifest } from '../manifest.js';

/** What the render thread tells its host: the file it is about to read, then the outcome. */
export type RenderReply =
  | { type: 'file'; file: string }
  | { type: 'done'; manifests: Manifest[] }
  | { type: 'failed'; error: SerializedError };

/** An error as plain data: class instances do not survive postMessage. */
export type SerializedError =
  | { kind: 'manifest'; stage: ManifestError['stage']; problems: ObjectProblem[] }
  | { kind: 'driftless'; message: string }
  | { kind: 'other'; message: string; stack?: string };

export function serializeError(err: unknown): SerializedError {
  if (err instanceof ManifestError) return { kind: 'manifest', stage: err.stage, problems: [...err.problems] };
  if (err instanceof DriftlessError) return { kind: 'driftless', message: err.message };
  if (err instanceof Error) return { kind: 'other', message: err.message, stack: err.stack };
  return { kind: 'other', message: String(err) };
}

/** The error again, of the class that decides retries: ManifestError is permanent, the rest are not. */
export function deserializeError(error: SerializedError): Error {
  switch (error.kind) {
    case 'manifest':
      return new ManifestError(error.stage, error.problems);
    case 'driftless':
      return new DriftlessError(error.message);
    case 'other':
      return Object.assign(new Error(error.message), error.stack === undefined ? {} : { stack: error.stack });
  }
}
