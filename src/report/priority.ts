/**
 * BullMQ priorities of report jobs: the order a backlog drains in, behind the one write a second
 * GitHub allows (a fleet pushed at once). BullMQ takes jobs without a priority first, then the
 * lowest number first, and within one number in the order they were queued
 * (https://docs.bullmq.io/guide/jobs/prioritized). With an idle queue none of this changes
 * anything: each job is taken as it is queued.
 *
 * - No priority: terminal statuses, check runs, comments, notifications: what people wait for.
 * - `deployment`: every state of every deployment record at one number, so a deployment's states
 *   keep the order they were queued in (its first state creates it, the later ones find it).
 * - Progress statuses, the latest phase first: one whose commit settled, or moved on to a later
 *   phase, while it waited is skipped by its rank, and costs no write.
 */
export const reportPriority = { deployment: 1, waiting: 2, applying: 3, queued: 4 } as const;
