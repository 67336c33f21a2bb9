import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadAll, YAMLException } from 'js-yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { editDistance } from '../text/edit-distance.js';
import { formatConfigPath, substituteEnvDeep, type ConfigProblem } from './env.js';
import { configSchema, type ClusterConfig, type Config } from './schema.js';

/**
 * Reads, substitutes and validates a config file. Every problem becomes a ConfigError naming
 * the file, the path inside it and what was expected.
 */
export async function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [{ path: '', message: `cannot read the file: ${(err as Error).message}` }]);
  }
  return parseConfig(text, file, env);
}

/**
 * Same as loadConfig for text already in memory. `file` names the file in errors and anchors
 * relative paths (kubeconfig, git.cacheDir, providers.github.app.privateKeyFile).
 */
export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): Config {
  const raw = parseYaml(text, file);
  const { value, problems: envProblems } = substituteEnvDeep(raw, env);
  // a value with an unresolved reference would only produce misleading follow-up errors
  if (envProblems.length) throw new ConfigError(file, envProblems);

  const parsed = configSchema.safeParse(anchorSchemaPaths(value, file), { error: issueMessage });
  if (!parsed.success) {
    throw new ConfigError(
      file,
      parsed.error.issues.map((issue) => ({ path: formatConfigPath(issue.path), message: issue.message })),
    );
  }
  return finish(parsed.data, file, env);
}

function parseYaml(text: string, file: string): Record<string, unknown> {
  let documents: unknown[];
  try {
    documents = loadAll(text, { filename: file });
  } catch (err) {
    if (!(err instanceof YAMLException)) throw err;
    throw new ConfigError(file, [yamlProblem(err, text)]);
  }
  if (documents.length > 1) {
    throw new ConfigError(file, [
      { path: '', message: `expected a single YAML document, found ${documents.length} (remove the --- separators)` },
    ]);
  }
  const [root] = documents;
  if (root === null || root === undefined) {
    throw new ConfigError(file, [{ path: '', message: 'the file is empty; expected a mapping with clusters and targets' }]);
  }
  if (typeof root !== 'object' || Array.isArray(root)) {
    throw new ConfigError(file, [
      { path: '', message: `expected a mapping with clusters and targets at the top level, got ${describe(root)}` },
    ]);
  }
  return root as Record<string, unknown>;
}

function yamlProblem(err: YAMLException, text: string): ConfigProblem {
  const mark = err.mark;
  if (!mark) return { path: '', message: `invalid YAML: ${err.reason}` };
  let message = `invalid YAML: ${err.reason}`;
  // `{ token: ${TOKEN} }` is the easy mistake: in a flow collection `{` and `}` end a plain scalar
  const line = text.split(/\r?\n/)[mark.line] ?? '';
  if (/[{[][^'"]*\$\{/.test(line)) {
    message += '; inside { } or [ ], quote environment references: "${NAME}"';
  }
  return { path: `line ${mark.line + 1}, column ${mark.column + 1}`, message };
}

/**
 * Files the schema itself reads while it parses (a GitHub App's `privateKeyFile`) are relative
 * to the config file's folder, like every other path in it; they are anchored before parsing.
 */
function anchorSchemaPaths(value: unknown, file: string): unknown {
  const app = (value as { providers?: { github?: { app?: { privateKeyFile?: unknown } } } } | undefined)?.providers?.github?.app;
  if (typeof app?.privateKeyFile !== 'string' || path.isAbsolute(app.privateKeyFile) || app.privateKeyFile.startsWith('~/')) return value;
  app.privateKeyFile = path.resolve(path.dirname(path.resolve(file)), app.privateKeyFile);
  return value;
}

/** Resolves relative paths against the file's directory and applies PORT and REDIS_URL. */
function finish(config: Config, file: string, env: NodeJS.ProcessEnv): Config {
  const dir = path.dirname(path.resolve(file));
  const resolve = (p: string) => (p.startsWith('~/') ? path.join(os.homedir(), p.slice(2)) : path.resolve(dir, p));

  const clusters: Record<string, ClusterConfig> = {};
  for (const [name, cluster] of Object.entries(config.clusters)) {
    clusters[name] = cluster.inCluster ? cluster : { ...cluster, kubeconfig: resolve(cluster.kubeconfig) };
  }

  const problems: ConfigProblem[] = [];
  let port = config.server.port;
  if (env.PORT) {
    port = Number(env.PORT);
    if (!/^\d+$/.test(env.PORT) || port > 65535) {
      problems.push({ path: '$PORT', message: `expected a port number from 0 to 65535, got ${JSON.stringify(env.PORT)}` });
    }
  }
  let redisUrl = config.redis.url;
  if (env.REDIS_URL) {
    redisUrl = env.REDIS_URL;
    // the URL may carry a password, so it is not repeated in the message
    if (!/^rediss?:\/\/./.test(redisUrl)) problems.push({ path: '$REDIS_URL', message: 'expected a redis:// or rediss:// URL' });
    if (config.redis.sentinel) problems.push({ path: '$REDIS_URL', message: 'set, but redis.sentinel finds the primary: unset REDIS_URL' });
  }
  const tls = config.redis.tls && {
    ...config.redis.tls,
    caFile: config.redis.tls.caFile && resolve(config.redis.tls.caFile),
    certFile: config.redis.tls.certFile && resolve(config.redis.tls.certFile),
    keyFile: config.redis.tls.keyFile && resolve(config.redis.tls.keyFile),
  };
  if (problems.length) throw new ConfigError(file, problems);

  return {
    ...config,
    clusters,
    server: { ...config.server, port },
    redis: { ...config.redis, url: redisUrl, tls },
    git: { ...config.git, cacheDir: resolve(config.git.cacheDir), caFile: config.git.caFile && resolve(config.git.caFile) },
  };
}

// ---------------------------------------------------------------------------------------------
// Messages: say what was expected in the words of the file (mapping, list), never echo a
// string that may have come from a secret.

const NOUNS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
};

function describe(input: unknown): string {
  if (input === null) return 'an empty value';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  if (typeof input === 'number' || typeof input === 'boolean') return String(input);
  return `a ${typeof input}`;
}

function issueMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return `required (${NOUNS[issue.expected] ?? issue.expected})`;
      return `expected ${NOUNS[issue.expected] ?? issue.expected}, got ${describe(issue.input)}`;
    case 'invalid_value': {
      const got = typeof issue.input === 'string' ? JSON.stringify(issue.input) : describe(issue.input);
      return `expected one of ${issue.values.map(String).join(', ')}, got ${got}`;
    }
    case 'unrecognized_keys':
      return unknownKeysMessage(issue.keys, knownKeys(issue.inst));
    case 'too_small':
      return sizeMessage(issue.origin, 'at least', Number(issue.minimum), issue.inclusive);
    case 'too_big':
      return sizeMessage(issue.origin, 'at most', Number(issue.maximum), issue.inclusive);
    case 'invalid_format':
      return issue.format === 'url' ? 'expected a URL' : undefined;
    default:
      return undefined;
  }
}

function sizeMessage(origin: string, bound: 'at least' | 'at most', n: number, inclusive = true): string | undefined {
  switch (origin) {
    case 'string':
      return bound === 'at least' && n === 1 ? 'must not be empty' : `must be ${bound} ${n} characters long`;
    case 'array':
      return `must have ${bound} ${n} ${n === 1 ? 'entry' : 'entries'}`;
    case 'number':
    case 'int':
      if (inclusive) return `must be ${bound} ${n}`;
      return `must be ${bound === 'at least' ? 'greater' : 'less'} than ${n}`;
    default:
      return undefined;
  }
}

function knownKeys(schema: unknown): string[] {
  const shape = (schema as { _zod?: { def?: { shape?: object } } } | undefined)?._zod?.def?.shape;
  return shape ? Object.keys(shape) : [];
}

function unknownKeysMessage(keys: readonly string[], known: readonly string[]): string {
  const parts = keys.map((key) => {
    const suggestion = closest(key, known);
    return suggestion ? `"${key}" (did you mean "${suggestion}"?)` : `"${key}"`;
  });
  const message = `unknown ${keys.length === 1 ? 'key' : 'keys'} ${parts.join(', ')}`;
  return known.length ? `${message}; expected keys: ${known.join(', ')}` : message;
}

/** The known key within edit distance 2 (an adjacent swap counts 1), or equal ignoring case, if any. */
function closest(key: string, known: readonly string[]): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = candidate.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key, candidate);
    if (distance <= 2 && (!best || distance < best.distance)) best = { key: candidate, distance };
  }
  return best?.key;
}
