/** What a notification is sent for. */
export const notificationEvents = ['deploy_failed', 'rolled_back', 'drift'] as const;
export type NotificationEvent = (typeof notificationEvents)[number];

/** What happened, as a receiver gets it: small, stable JSON. */
export interface Notification {
  event: NotificationEvent;
  target: string;
  /** The commit concerned: the failed one, or the deployed one for drift. */
  revision: string;
  /** For rollbacks, where the target went back to. */
  rolledBackTo?: string;
  message: string;
  deliveryId: string;
  at: string;
}
