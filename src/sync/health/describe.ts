import { healthRank, type Health } from './types.js';

/** One object in a wait: its subject (`Kind/namespace/name`) and its latest health. */
export interface HealthEntry {
  subject: string;
  health: Health;
}

/**
 * The objects that are not Healthy, worst first (ties keep their order), for a failed wait:
 * `Deployment/shop/api: ProgressDeadlineExceeded; 0/1 new pods updated; Job/shop/migrate: BackoffLimitExceeded`.
 * Empty when everything is Healthy.
 */
export function describeUnhealthy(entries: readonly HealthEntry[]): string {
  return entries
    .filter((e) => e.health.status !== 'Healthy')
    .sort((a, b) => healthRank(b.health.status) - healthRank(a.health.status))
    .map((e) => `${e.subject}: ${e.health.message || e.health.status}`)
    .join('; ');
}

/** `waiting: 1/3 healthy`, the progress line between polls. */
export function progressLine(healthy: number, total: number): string {
  return `waiting: ${healthy}/${total} healthy`;
}
