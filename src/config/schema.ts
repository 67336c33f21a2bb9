import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { notificationEvents, type NotificationEvent } from '../model/notification.js';
import { permissionLevels, type PermissionLevel } from '../model/permission.js';

// Values substituted from the environment are strings, so numeric and boolean fields also
// accept their string forms (`port: ${PORT}`, `prune: ${PRUNE}`).
const intFromString = (v: unknown): unknown =>
  typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v;
const boolFromString = (v: unknown): unknown => (v === 'true' ? true : v === 'false' ? false : v);

/** A schema-level message for a wrong value; a missing one still reads "required". */
const unlessMissing = (message: string) => ({
  error: (issue: { input?: unknown }) => (issue.input === undefined ? undefined : message),
});

const int = (min: number, max: number) => z.preprocess(intFromString, z.int().min(min).max(max));
const bool = () => z.preprocess(boolFromString, z.boolean());

export { permissionLevels, type PermissionLevel };

/** How a target's manifests are produced; `auto` picks helm, kustomize or plain from the files. */
export const renderModes = ['auto', 'plain', 'kustomize', 'helm'] as const;
export type RenderMode = (typeof renderModes)[number];

// ---------------------------------------------------------------------------------------------
// Durations

const DURATION_SHAPE = /^(?:\d+(?:\.\d+)?(?:ms|h|m|s))+$/;
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
/** setTimeout fires at once for longer delays, so no duration may exceed it. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Parses a duration such as `30s`, `5m`, `1h`, `1m30s` or `500ms` into milliseconds.
 * Throws an Error whose message says what is expected.
 */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (!DURATION_SHAPE.test(trimmed)) {
    throw new Error(`expected a duration such as 30s, 5m or 1h, got ${JSON.stringify(text)}`);
  }
  let ms = 0;
  for (const [, amount, unit] of trimmed.matchAll(DURATION_PART)) {
    ms += Number(amount) * (UNIT_MS[unit ?? ''] ?? Number.NaN);
  }
  return Math.round(ms);
}

const duration = z
  .string(unlessMissing('expected a duration such as 30s, 5m or 1h'))
  .transform((text, ctx) => {
    let ms: number;
    try {
      ms = parseDuration(text);
    } catch (err) {
      ctx.issues.push({ code: 'custom', message: (err as Error).message, input: text });
      return z.NEVER;
    }
    if (ms <= 0) {
      ctx.issues.push({ code: 'custom', message: 'must be longer than 0s', input: text });
      return z.NEVER;
    }
    if (ms > MAX_TIMER_MS) {
      ctx.issues.push({ code: 'custom', message: 'must be shorter than 596h (24.8 days)', input: text });
      return z.NEVER;
    }
    return ms;
  });

// ---------------------------------------------------------------------------------------------
// Names, paths and repositories

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_LABEL_CHARS = 'lowercase letters, digits and "-", starting and ending with a letter or digit';

const dnsLabel = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(DNS_LABEL, `expected a name of ${DNS_LABEL_CHARS}`);

/** Repository hosts a target can deploy from. */
export type RepoProvider = 'github' | 'gitlab';

/** A parsed `repo:` spec. */
export interface RepoRef {
  provider: RepoProvider;
  /** `owner/name` on GitHub; `group/sub/project` or a numeric project id on GitLab. */
  path: string;
  /** The spec as written, e.g. `github:acme/shop`. */
  spec: string;
}

const GITHUB_OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?$/;
const GITHUB_REPO = /^[A-Za-z0-9._-]{1,100}$/;
const GITLAB_SEGMENT = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?$/;
const GITLAB_PROJECT_ID = /^[1-9][0-9]*$/;
const REPO_SPEC_MESSAGE =
  'expected github:owner/name, gitlab:group/project (nested groups allowed) or gitlab:<project id>';

/** Parses `github:owner/name`, `gitlab:group/sub/project` or `gitlab:1234`; undefined when malformed. */
export function parseRepoSpec(spec: string): RepoRef | undefined {
  const colon = spec.indexOf(':');
  if (colon < 0) return undefined;
  const provider = spec.slice(0, colon);
  const repoPath = spec.slice(colon + 1);
  if (provider === 'github') {
    const [owner, name, ...rest] = repoPath.split('/');
    const ok =
      rest.length === 0 &&
      owner !== undefined &&
      GITHUB_OWNER.test(owner) &&
      name !== undefined &&
      GITHUB_REPO.test(name) &&
      name !== '.' &&
      name !== '..';
    return ok ? { provider, path: repoPath, spec } : undefined;
  }
  if (provider === 'gitlab') {
    if (GITLAB_PROJECT_ID.test(repoPath)) return { provider, path: repoPath, spec };
    const segments = repoPath.split('/');
    const ok = segments.length >= 2 && segments.every((s) => GITLAB_SEGMENT.test(s) && !s.includes('..'));
    return ok ? { provider, path: repoPath, spec } : undefined;
  }
  return undefined;
}

const repoSpec = z.string(unlessMissing(REPO_SPEC_MESSAGE)).transform((spec, ctx) => {
  const ref = parseRepoSpec(spec.trim());
  if (!ref) {
    ctx.issues.push({ code: 'custom', message: `${REPO_SPEC_MESSAGE}, got ${JSON.stringify(spec)}`, input: spec });
    return z.NEVER;
  }
  return ref;
});

/**
 * Normalizes a path inside the repository: no leading `./`, no trailing `/`, `.` for the root.
 * Returns an error message for absolute paths, backslashes and `..` segments.
 */
function normalizeRepoPath(p: string): { path: string } | { error: string } {
  if (p.startsWith('/')) return { error: 'expected a path relative to the repository root, not an absolute path' };
  if (p.includes('\\')) return { error: 'expected "/" as the path separator' };
  const segments = p.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) return { error: 'must not contain ".." (the path must stay inside the repository)' };
  return { path: segments.length === 0 ? '.' : segments.join('/') };
}

const repoPath = z.string().transform((p, ctx) => {
  const result = normalizeRepoPath(p.trim());
  if ('error' in result) {
    ctx.issues.push({ code: 'custom', message: result.error, input: p });
    return z.NEVER;
  }
  return result.path;
});

/** A subset of git check-ref-format, enough to catch typos before the first fetch. */
function branchProblem(b: string): string | undefined {
  if (b.startsWith('refs/')) return 'expected a branch name without the refs/heads/ prefix';
  const bad =
    b === '' ||
    b === '@' ||
    /[\s~^:?*[\\]|\p{Cc}/u.test(b) ||
    b.includes('..') ||
    b.includes('//') ||
    b.includes('@{') ||
    b.startsWith('/') ||
    b.startsWith('-') ||
    b.endsWith('/') ||
    b.endsWith('.') ||
    b.endsWith('.lock');
  return bad ? 'expected a branch name such as main or release/1.x' : undefined;
}

const branch = z.string().superRefine((b, ctx) => {
  const problem = branchProblem(b);
  if (problem) ctx.addIssue({ code: 'custom', message: problem, input: b });
});

const url = (protocol: RegExp, what: string) => z.url({ protocol, error: `expected ${what}` });
const httpUrl = url(/^https?$/, 'an http(s) URL');

// ---------------------------------------------------------------------------------------------
// Providers and clusters

const githubSchema = z.strictObject({
  /** Secret GitHub signs deliveries with (X-Hub-Signature-256). */
  webhookSecret: z.string().min(1),
  /** Token for statuses, comments, permissions and deployments; without it nothing is reported. */
  token: z.string().min(1).optional(),
  apiUrl: httpUrl.default('https://api.github.com'),
});

const gitlabSchema = z.strictObject({
  /** Compared with X-Gitlab-Token. */
  webhookToken: z.string().min(1),
  /** Signing token for GitLab's webhook signatures (webhook-signature header), when configured. */
  signingToken: z.string().min(1).optional(),
  token: z.string().min(1).optional(),
  url: httpUrl.default('https://gitlab.com'),
});

const genericSchema = z.strictObject({
  /** HMAC-SHA256 key for /webhooks/generic. */
  secret: z.string().min(1),
});

const providersSchema = z.strictObject({
  github: githubSchema.optional(),
  gitlab: gitlabSchema.optional(),
  generic: genericSchema.optional(),
});

/** How to reach a cluster: a kubeconfig file (and context), or the pod's service account. */
export type ClusterConfig =
  | {
      inCluster: false;
      /** Absolute path (relative paths in the file are resolved against the file's directory). */
      kubeconfig: string;
      /** Context in the kubeconfig; its current context when absent. */
      context?: string;
    }
  | { inCluster: true };

const clusterSchema = z
  .strictObject({
    kubeconfig: z.string().min(1).optional(),
    context: z.string().min(1).optional(),
    inCluster: bool().optional(),
  })
  .superRefine((c, ctx) => {
    if (c.inCluster === true) {
      if (c.kubeconfig !== undefined) {
        ctx.addIssue({ code: 'custom', message: 'set either kubeconfig or inCluster: true, not both', path: ['inCluster'] });
      }
      if (c.context !== undefined) {
        ctx.addIssue({ code: 'custom', message: 'context only applies with kubeconfig', path: ['context'] });
      }
    } else if (c.kubeconfig === undefined) {
      ctx.addIssue({ code: 'custom', message: 'expected kubeconfig: <path> (with an optional context) or inCluster: true' });
    }
  })
  .transform((c): ClusterConfig => {
    if (c.inCluster === true || c.kubeconfig === undefined) return { inCluster: true };
    return c.context === undefined
      ? { inCluster: false, kubeconfig: c.kubeconfig }
      : { inCluster: false, kubeconfig: c.kubeconfig, context: c.context };
  });

// ---------------------------------------------------------------------------------------------
// Targets

const permission = (fallback: PermissionLevel) => z.enum(permissionLevels).default(fallback);

/** kubectl's field managers (client-side apply, edit, patch, server-side apply, and fields from before the first apply). */
export const kubectlFieldManagers = ['kubectl-client-side-apply', 'kubectl-edit', 'kubectl-patch', 'kubectl', 'before-first-apply'] as const;

/** Which existing objects a target may adopt: only manifests annotated `driftless.io/adopt: "true"`, also objects `kubectl apply` wrote, or any. */
export const adoptPolicies = ['annotated', 'kubectl-applied', 'all'] as const;

/** What one target owns; the rules are in the README's "Pruning and ownership". */
export const ownershipSchema = z.strictObject({
  /** Field managers (exact names) whose fields Driftless takes over before applying, so that what Git removes is removed; `[]` takes over nothing. */
  takeOverFrom: z.array(z.string().min(1)).default([...kubectlFieldManagers]),
  /** Existing objects this target may adopt besides manifests annotated `driftless.io/adopt: "true"`: none more (`annotated`), objects last written by `kubectl apply` (`kubectl-applied`), any (`all`). */
  adopt: z.enum(adoptPolicies).default('kubectl-applied'),
  /** A sync may delete at most this many objects per object Git keeps; a sync that would delete more stops before it changes anything. */
  maxPruneRatio: int(0, 1000).default(2),
  /** Lets syncs delete more than `maxPruneRatio` allows: set it for an intended mass removal, then unset it. */
  allowMassPrune: bool().default(false),
});
export type OwnershipConfig = z.output<typeof ownershipSchema>;

/**
 * What rendering one commit of a target may use. Repository content is untrusted: a render over
 * any limit fails for good (a ManifestError naming the file and the limit) and never stalls others.
 */
export const renderLimitsSchema = z.strictObject({
  /** Largest manifest or kustomize input file, in bytes; also the most a file may grow to once its YAML aliases are expanded. */
  maxFileBytes: int(1, Number.MAX_SAFE_INTEGER).default(4 * 1024 * 1024),
  /** All files of one render together (aliases expanded), and kustomize's input and output each, in bytes. */
  maxTotalBytes: int(1, Number.MAX_SAFE_INTEGER).default(8 * 1024 * 1024),
  /** Most objects one render may produce; each item of a List counts. */
  maxObjects: int(1, 1_000_000).default(10_000),
  /** Longest one render may take, kustomize included. */
  timeout: duration.prefault('60s'),
  /** Heap of the thread that renders (V8 old generation), in MiB. */
  maxMemoryMb: int(32, 65536).default(256),
});

const targetSchema = z
  .strictObject({
    /** Unique; used in status contexts (`driftless/<name>`), locks and inventory names. */
    name: z
      .string()
      .min(1)
      .max(53)
      .regex(DNS_LABEL, `expected a target name of ${DNS_LABEL_CHARS}`),
    repo: repoSpec,
    /** Overrides the clone URL the provider reports. */
    cloneUrl: url(/^(https?|ssh|git|file)$/, 'an https://, ssh://, git:// or file:// URL').optional(),
    branch: branch.default('main'),
    /** Directory inside the repository holding the manifests; `.` for the root. */
    path: repoPath.default('.'),
    render: z.enum(renderModes).default('auto'),
    /** Budgets of one render: bytes per file and in total, objects, time, memory. */
    renderLimits: renderLimitsSchema.prefault({}),
    helm: z
      .strictObject({
        /** Values files relative to `path`; in the parsed config, relative to the repository root. */
        valuesFiles: z.array(z.string().min(1)).default([]),
        /** Helm release name; the target name when absent. */
        releaseName: dnsLabel(53).optional(),
      })
      .optional(),
    /** A key of `clusters`. */
    cluster: z.string().min(1),
    /** Namespace for namespaced objects that do not set one. */
    namespace: dnsLabel(63),
    /** Namespaces objects may live in; anything else is refused before any change. */
    allowedNamespaces: z.array(dnsLabel(63)).min(1).optional(),
    allowClusterScoped: bool().default(false),
    prune: bool().default(true),
    wait: z.strictObject({ timeout: duration.prefault('5m') }).prefault({}),
    rollback: z.enum(['onFailure', 'never']).default('onFailure'),
    reconcile: z
      .strictObject({
        interval: duration.prefault('5m'),
        drift: z.enum(['heal', 'warn']).default('heal'),
      })
      .prefault({}),
    /** Diff checks on pull requests into `branch`. */
    previews: bool().default(true),
    /** Whether comment commands and previews run for pull requests from forks. */
    allowForks: bool().default(false),
    /** Whether `/deploy` may deploy a pull request's head (a commit not yet on `branch`) to this target. */
    branchDeploys: bool().default(false),
    commands: z
      .strictObject({
        deploy: permission('write'),
        rollback: permission('maintain'),
        lock: permission('maintain'),
        unlock: permission('maintain'),
        sync: permission('write'),
        diff: permission('read'),
      })
      .prefault({}),
    /** When set, only these users may run commands (in addition to the permission level). */
    allowUsers: z.array(z.string().min(1)).optional(),
    /** Namespace of the ApplySet parent Secret; `namespace` when absent. */
    inventoryNamespace: dnsLabel(63).optional(),
    /** How many objects are applied at once. */
    concurrency: int(1, 64).default(8),
    /** What the target owns: fields it takes over from kubectl, objects it may adopt, how much one prune may delete. */
    ownership: ownershipSchema.prefault({}),
  })
  .superRefine((t, ctx) => {
    if (t.allowedNamespaces && !t.allowedNamespaces.includes(t.namespace)) {
      ctx.addIssue({
        code: 'custom',
        message: `must include the target's namespace "${t.namespace}"`,
        path: ['allowedNamespaces'],
      });
    }
    if (t.helm && (t.render === 'plain' || t.render === 'kustomize')) {
      ctx.addIssue({ code: 'custom', message: `helm options need render: helm or auto, not ${t.render}`, path: ['helm'] });
    }
    t.helm?.valuesFiles.forEach((file, i) => {
      const problem = valuesFileProblem(t.path, file);
      if (problem) ctx.addIssue({ code: 'custom', message: problem, path: ['helm', 'valuesFiles', i] });
    });
  })
  .transform((t) => ({
    ...t,
    allowedNamespaces: t.allowedNamespaces ?? [t.namespace],
    inventoryNamespace: t.inventoryNamespace ?? t.namespace,
    ...(t.helm && {
      helm: { ...t.helm, valuesFiles: t.helm.valuesFiles.map((file) => path.posix.join(t.path, file)) },
    }),
  }));

function valuesFileProblem(targetPath: string, file: string): string | undefined {
  if (file.startsWith('/')) return 'expected a path relative to the target path, not an absolute path';
  if (file.includes('\\')) return 'expected "/" as the path separator';
  const joined = path.posix.normalize(path.posix.join(targetPath, file));
  return joined === '..' || joined.startsWith('../') ? 'must stay inside the repository' : undefined;
}

// ---------------------------------------------------------------------------------------------
// The whole file

const serverSchema = z.strictObject({
  /** HTTP port; the PORT environment variable overrides it. */
  port: int(0, 65535).default(8080),
  /** Webhook bodies larger than this are refused before they are buffered. */
  maxBodyBytes: int(1, Number.MAX_SAFE_INTEGER).default(25 * 1024 * 1024),
  /**
   * Bytes of webhook bodies whose signature is not yet checked that all connections may hold at
   * once; a delivery that does not fit is answered 503 (Retry-After) instead of buffered.
   */
  maxUnauthenticatedBytes: int(1, Number.MAX_SAFE_INTEGER).default(32 * 1024 * 1024),
  /** How long a webhook body may take to arrive; GitHub gives up on a delivery after 10 s. */
  bodyTimeout: duration.prefault('10s'),
  /** Bearer token of /api (`Authorization: Bearer <token>`); without one, /api refuses every call. */
  apiToken: z.string().min(16, 'expected at least 16 characters, e.g. from openssl rand -hex 32').optional(),
  /** On SIGTERM, how long in-flight requests and jobs may take before jobs are handed back; keep it below the pod's terminationGracePeriodSeconds. */
  shutdownGracePeriod: duration.prefault('25s'),
}).superRefine((s, ctx) => {
  // else a delivery of the largest allowed size could never be read
  if (s.maxUnauthenticatedBytes < s.maxBodyBytes) {
    ctx.addIssue({ code: 'custom', message: `must be at least server.maxBodyBytes (${s.maxBodyBytes})`, path: ['maxUnauthenticatedBytes'] });
  }
});

const redisSchema = z.strictObject({
  /** The REDIS_URL environment variable overrides it. */
  url: url(/^rediss?$/, 'a redis:// or rediss:// URL').default('redis://127.0.0.1:6379'),
  /** Prefix of every key and queue. */
  prefix: z.string().min(1).default('driftless'),
});

const gitSchema = z.strictObject({
  /** Where fetched repositories are cached; relative paths are resolved against the file's directory. */
  cacheDir: z
    .string()
    .min(1)
    .default(() => path.join(os.tmpdir(), 'driftless-git')),
});

export { notificationEvents, type NotificationEvent };

const notificationSchema = z.strictObject({
  /** `webhook`: JSON signed with HMAC-SHA256 (X-Driftless-Signature-256); `slack`: an incoming-webhook message. */
  type: z.enum(['webhook', 'slack']),
  url: httpUrl,
  /** HMAC key for `webhook`; required there. */
  secret: z.string().min(1).optional(),
  events: z.array(z.enum(notificationEvents)).min(1).default([...notificationEvents]),
  /** Only these targets; all when absent. */
  targets: z.array(z.string().min(1)).optional(),
}).superRefine((n, ctx) => {
  if (n.type === 'webhook' && !n.secret) ctx.addIssue({ code: 'custom', message: 'a webhook notification needs a secret to sign its body', path: ['secret'] });
});

export const configSchema = z
  .strictObject({
    providers: providersSchema.prefault({}),
    clusters: z.record(z.string().min(1), clusterSchema),
    targets: z.array(targetSchema).min(1),
    server: serverSchema.prefault({}),
    redis: redisSchema.prefault({}),
    git: gitSchema.prefault({}),
    notifications: z.array(notificationSchema).default([]),
  })
  .superRefine((config, ctx) => {
    const targetNames = new Set(config.targets.map((t) => t.name));
    config.notifications.forEach((n, i) =>
      n.targets?.forEach((t, j) => {
        if (!targetNames.has(t)) ctx.addIssue({ code: 'custom', message: `unknown target "${t}"`, path: ['notifications', i, 'targets', j] });
      }),
    );
    const known = Object.keys(config.clusters);
    const firstIndex = new Map<string, number>();
    config.targets.forEach((target, i) => {
      const previous = firstIndex.get(target.name);
      if (previous === undefined) firstIndex.set(target.name, i);
      else {
        ctx.addIssue({
          code: 'custom',
          message: `duplicate target name "${target.name}" (also used by targets[${previous}])`,
          path: ['targets', i, 'name'],
        });
      }
      if (!Object.hasOwn(config.clusters, target.cluster)) {
        ctx.addIssue({
          code: 'custom',
          message:
            `unknown cluster "${target.cluster}"; ` +
            (known.length ? `known clusters: ${known.join(', ')}` : 'no clusters are defined under clusters'),
          path: ['targets', i, 'cluster'],
        });
      }
    });
  });

/** The validated configuration, defaults filled in, durations in milliseconds. */
export type Config = z.output<typeof configSchema>;
/** The configuration as written (before defaults and transforms); handy for tests. */
export type ConfigInput = z.input<typeof configSchema>;
export type TargetConfig = Config['targets'][number];
export type ProvidersConfig = Config['providers'];
export type GithubProviderConfig = NonNullable<ProvidersConfig['github']>;
export type GitlabProviderConfig = NonNullable<ProvidersConfig['gitlab']>;
export type GenericProviderConfig = NonNullable<ProvidersConfig['generic']>;
export type ServerConfig = Config['server'];
export type RedisConfig = Config['redis'];
export type GitConfig = Config['git'];
export type NotificationConfig = Config['notifications'][number];
/** A comment command whose permission level is configured per target. */
export type CommandName = keyof TargetConfig['commands'];
