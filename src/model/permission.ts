/** Provider permission levels, weakest first: compare with `permissionLevels.indexOf`. */
export const permissionLevels = ['read', 'triage', 'write', 'maintain', 'admin'] as const;
export type PermissionLevel = (typeof permissionLevels)[number];
