import type { ConfigError } from '../errors.js';

/** One problem in a config file: where (dotted/indexed path) and what was expected. */
export type ConfigProblem = ConfigError['problems'][number];

/** A `${...}` reference that cannot be resolved: an unset variable or malformed syntax. */
export class EnvReferenceError extends Error {
  constructor(
    message: string,
    /** The unset variables, when that is the problem. */
    readonly missing: readonly string[] = [],
  ) {
    super(message);
    this.name = 'EnvReferenceError';
  }
}

const REFERENCE = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;
const SYNTAX_HINT = 'expected ${NAME} or ${NAME:-default} (write $${ for a literal ${)';

/**
 * Resolves `${NAME}` and `${NAME:-default}` (default used when NAME is unset or empty) in one
 * string; `$${` stands for a literal `${`. Any other `$` is kept as is.
 * Throws EnvReferenceError naming every unset variable, or the malformed reference.
 */
export function substituteEnv(text: string, env: NodeJS.ProcessEnv): string {
  let out = '';
  const missing: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('$${', i)) {
      out += '${';
      i += 3;
      continue;
    }
    if (!text.startsWith('${', i)) {
      out += text[i];
      i += 1;
      continue;
    }
    const close = text.indexOf('}', i + 2);
    if (close < 0) {
      throw new EnvReferenceError(`unterminated reference ${JSON.stringify(text.slice(i))}: ${SYNTAX_HINT}`);
    }
    const reference = text.slice(i, close + 1);
    const match = REFERENCE.exec(text.slice(i + 2, close));
    const name = match?.[1];
    const fallback = match?.[2];
    if (!name || fallback?.includes('${')) {
      throw new EnvReferenceError(`malformed reference ${JSON.stringify(reference)}: ${SYNTAX_HINT}`);
    }
    const value = env[name];
    if (fallback !== undefined && (value === undefined || value === '')) out += fallback;
    else if (value === undefined) missing.push(name);
    else out += value;
    i = close + 1;
  }
  if (missing.length) {
    const names = [...new Set(missing)];
    throw new EnvReferenceError(
      names.length === 1
        ? `environment variable ${names[0]} is not set`
        : `environment variables ${names.join(', ')} are not set`,
      names,
    );
  }
  return out;
}

/**
 * Substitutes environment references in every string value of a parsed YAML document (keys
 * are left alone). Working on parsed values means a secret containing quotes, `#` or `: `
 * cannot change the structure of the file. Returns every problem rather than the first.
 */
export function substituteEnvDeep(
  value: unknown,
  env: NodeJS.ProcessEnv,
): { value: unknown; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const walk = (node: unknown, at: readonly PropertyKey[]): unknown => {
    if (typeof node === 'string') {
      try {
        return substituteEnv(node, env);
      } catch (err) {
        if (!(err instanceof EnvReferenceError)) throw err;
        problems.push({ path: formatConfigPath(at), message: err.message });
        return node;
      }
    }
    if (Array.isArray(node)) return node.map((item, i) => walk(item, [...at, i]));
    if (node !== null && typeof node === 'object' && Object.getPrototypeOf(node) === Object.prototype) {
      // fromEntries defines own properties, so a `__proto__` key stays a plain key
      return Object.fromEntries(Object.entries(node).map(([key, item]) => [key, walk(item, [...at, key])]));
    }
    return node;
  };
  return { value: walk(value, []), problems };
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** Formats a path such as `['targets', 0, 'cluster']` as `targets[0].cluster`. */
export function formatConfigPath(at: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of at) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else {
      const key = String(segment);
      out += IDENTIFIER.test(key) ? (out ? `.${key}` : key) : `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}
