/**
 * Every error Driftless raises on purpose. `permanent` decides retries: a permanent failure
 * is caused by the input (config, manifests, policy) and retrying cannot fix it.
 */
export class DriftlessError extends Error {
  readonly permanent: boolean = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Invalid configuration: names the file, the path inside it and what was expected. */
export class ConfigError extends DriftlessError {
  override readonly permanent = true;
  constructor(
    readonly file: string,
    readonly problems: readonly { path: string; message: string }[],
  ) {
    super(
      `${file}: invalid configuration\n` +
        problems.map((p) => `  - ${p.path || '(root)'}: ${p.message}`).join('\n'),
    );
  }
}

/** A problem with one object of a target's manifests; `file` is the file it came from. */
export interface ObjectProblem {
  /** `Kind/namespace/name` or `Kind/name` for cluster-scoped objects, or the file when unparsable. */
  subject: string;
  /** Path of the manifest file, relative to the repository root. */
  file: string;
  /** Line of `file` the object (or the syntax error) is at, 1-based, when known. */
  line?: number;
  message: string;
}

/**
 * A sync stage failed because of what is in Git (invalid YAML, unknown kind, forbidden
 * namespace, rejected by the API server's dry run). Nothing is retried.
 */
export class ManifestError extends DriftlessError {
  override readonly permanent = true;
  constructor(
    readonly stage: 'render' | 'plan' | 'apply' | 'prune' | 'wait',
    readonly problems: readonly ObjectProblem[],
  ) {
    super(
      `${stage} failed for ${problems.length} object${problems.length === 1 ? '' : 's'}:\n` +
        problems.map((p) => `  - ${p.subject} (${p.file}): ${p.message}`).join('\n'),
    );
  }
}

/** Git could not produce the requested commit (unknown sha, auth refused, host down). */
export class FetchError extends DriftlessError {
  constructor(
    message: string,
    override readonly permanent: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
