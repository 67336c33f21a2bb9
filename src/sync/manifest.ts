import type { KubernetesObject } from '@kubernetes/client-node';

/** One object read from Git, with the file it came from so every problem can name it. */
export interface Manifest {
  object: KubernetesObject & { apiVersion: string; kind: string; metadata: { name: string } };
  /** Path of the file relative to the repository root, e.g. `deploy/prod/web.yaml`. */
  file: string;
  /** Line of `file` where the object's document starts (1-based), when the renderer knows it: plain YAML files. */
  line?: number;
}

/** `Kind/namespace/name`, or `Kind/name` when the object has no namespace. */
export function subjectOf(object: { kind?: string; metadata?: { name?: string; namespace?: string } }): string {
  const { kind = '?', metadata = {} } = object;
  return metadata.namespace ? `${kind}/${metadata.namespace}/${metadata.name}` : `${kind}/${metadata.name}`;
}
