// The schema of the whole config file, assembled from one module per section, and the types
// inferred from it. Import config types from here; the section modules are its parts.
import { z } from 'zod';
import { clusterSchema } from './clusters.js';
import { notificationSchema } from './notifications.js';
import { providersSchema } from './providers.js';
import { serverSchema } from './server.js';
import { gitSchema, redisSchema } from './storage.js';
import { targetSchema } from './target.js';
import { dashboardSchema } from './ui.js';
import { workerSchema } from './worker.js';

export { notificationEvents, type NotificationEvent } from '../model/notification.js';
export { permissionLevels, type PermissionLevel } from '../model/permission.js';
export { type ClusterConfig } from './clusters.js';
export { parseDuration } from './duration.js';
export { adoptPolicies, kubectlFieldManagers, ownershipSchema, type OwnershipConfig } from './ownership.js';
export { renderLimitsSchema, renderModes, type RenderMode } from './render.js';
export { parseRepoSpec, type RepoProvider, type RepoRef } from './repository.js';

export const configSchema = z
  .strictObject({
    providers: providersSchema.prefault({}),
    clusters: z.record(z.string().min(1), clusterSchema),
    targets: z.array(targetSchema).min(1),
    server: serverSchema.prefault({}),
    worker: workerSchema.prefault({}),
    redis: redisSchema.prefault({}),
    git: gitSchema.prefault({}),
    notifications: z.array(notificationSchema).default([]),
    dashboard: dashboardSchema.prefault({}),
  })
  .superRefine((config, ctx) => {
    const targetNames = new Set(config.targets.map((t) => t.name));
    config.notifications.forEach((n, i) =>
      n.targets?.forEach((t, j) => {
        if (!targetNames.has(t)) ctx.addIssue({ code: 'custom', message: `unknown target "${t}"`, path: ['notifications', i, 'targets', j] });
      }),
    );
    config.dashboard.publicBadges.forEach((t, i) => {
      if (!targetNames.has(t)) ctx.addIssue({ code: 'custom', message: `unknown target "${t}"`, path: ['dashboard', 'publicBadges', i] });
    });
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
export type WorkerConfig = Config['worker'];
export type RedisConfig = Config['redis'];
export type GitConfig = Config['git'];
export type NotificationConfig = Config['notifications'][number];
export type { ApiTokenConfig, DashboardConfig } from './ui.js';
/** A comment command whose permission level is configured per target. */
export type CommandName = keyof TargetConfig['commands'];
