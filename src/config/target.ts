import path from 'node:path';
import { z } from 'zod';
import { permissionLevels, type PermissionLevel } from '../model/permission.js';
import { debounceSchema } from './debounce.js';
import { duration } from './duration.js';
import { healthCheckProblems, healthSchema } from './health.js';
import { helmSchema } from './helm.js';
import { bool, dnsLabel, int, url } from './fields.js';
import { ownershipSchema } from './ownership.js';
import { renderLimitsSchema, renderModes } from './render.js';
import { branch, repoPath, repoSpec } from './repository.js';

const permission = (fallback: PermissionLevel) => z.enum(permissionLevels).default(fallback);

/**
 * One entry of `targets:`: a directory of one branch deployed to one cluster namespace. After
 * parsing, `allowedNamespaces` and `inventoryNamespace` are filled in and helm values files are
 * relative to the repository root.
 */
export const targetSchema = z
  .strictObject({
    /** Unique; used in status contexts (`driftless/<name>`), locks and inventory names. */
    name: dnsLabel(53, 'a target name'),
    repo: repoSpec,
    /** Overrides the clone URL the provider reports. */
    cloneUrl: url(/^(https?|ssh|git|file)$/, 'an https://, ssh://, git:// or file:// URL').optional(),
    branch: branch.default('main'),
    /** Directory inside the repository holding the manifests; `.` for the root. */
    path: repoPath.default('.'),
    render: z.enum(renderModes).default('auto'),
    /** Budgets of one render: bytes per file and in total, objects, time, memory. */
    renderLimits: renderLimitsSchema.prefault({}),
    /** How a chart at `path` is rendered: release name, values, capabilities, chart repositories. */
    helm: helmSchema.optional(),
    /** A key of `clusters`. */
    cluster: z.string().min(1),
    /** Namespace for namespaced objects that do not set one. */
    namespace: dnsLabel(63),
    /** Namespaces objects may live in; anything else is refused before any change. */
    allowedNamespaces: z.array(dnsLabel(63)).min(1).optional(),
    allowClusterScoped: bool().default(false),
    prune: bool().default(true),
    wait: z.strictObject({ timeout: duration.prefault('5m') }).prefault({}),
    /** What healthy means beyond the built-in checks: custom CEL checks per kind, load balancer addresses. */
    health: healthSchema.prefault({}),
    rollback: z.enum(['onFailure', 'never']).default('onFailure'),
    /** A burst of pushes deploys once, after it: quiet time and longest wait (see debounceSchema). */
    debounce: debounceSchema.prefault({}),
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
    if (t.helm && t.render === 'plain') {
      ctx.addIssue({ code: 'custom', message: 'helm options need render: helm, kustomize (for its helmCharts) or auto, not plain', path: ['helm'] });
    }
    for (const p of healthCheckProblems(t.health)) ctx.addIssue({ code: 'custom', message: `target "${t.name}": ${p.message}`, path: ['health', ...p.path] });
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
