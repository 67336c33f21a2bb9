/** How far an object is from what Git asked for; a closed set, as in Argo CD's gitops-engine. */
export type HealthStatus = 'Healthy' | 'Progressing' | 'Degraded' | 'Suspended' | 'Missing' | 'Unknown';

/** The health of one object. */
export interface Health {
  status: HealthStatus;
  /** Short and human, e.g. `2/3 pods available`; names the controller's reason when there is one. */
  message: string;
}

/**
 * Best to worst. Suspended is a state someone chose (a paused rollout, a suspended Job), so it
 * is settled but not what a deploy promises. Progressing may still resolve on its own.
 * Unknown means a check could not read the object, so it must never let a set pass as
 * Progressing or better; kinds without a check are Healthy "applied", so unlike gitops-engine
 * (where Unknown ranks lowest and means "no check") Unknown here is a real doubt.
 * Missing is an object that was applied and is gone. Degraded is a failure a controller
 * reported, the one state that will not get better without a new change.
 */
const order: readonly HealthStatus[] = ['Healthy', 'Suspended', 'Progressing', 'Unknown', 'Missing', 'Degraded'];

/** Position in the worst-of order: higher is worse. */
export function healthRank(status: HealthStatus): number {
  return order.indexOf(status);
}

/** The worst of some statuses; Healthy when there are none. */
export function worstOf(statuses: Iterable<HealthStatus>): HealthStatus {
  let worst: HealthStatus = 'Healthy';
  for (const status of statuses) if (healthRank(status) > healthRank(worst)) worst = status;
  return worst;
}

/** The first of the worst entries; Healthy "no objects" when the list is empty. */
export function worstHealth(list: Iterable<Health>): Health {
  let worst: Health | undefined;
  for (const health of list) if (!worst || healthRank(health.status) > healthRank(worst.status)) worst = health;
  return worst ?? { status: 'Healthy', message: 'no objects' };
}

export const healthy = (message: string): Health => ({ status: 'Healthy', message });
export const progressing = (message: string): Health => ({ status: 'Progressing', message });
export const degraded = (message: string): Health => ({ status: 'Degraded', message });
export const suspended = (message: string): Health => ({ status: 'Suspended', message });
