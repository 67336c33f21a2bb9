/** Neutral commit status states; each provider maps them to its own. */
export type StatusState = 'pending' | 'running' | 'success' | 'failure' | 'error' | 'superseded';
