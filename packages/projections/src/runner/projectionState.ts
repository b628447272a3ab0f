/** Where a runner is. */
export type ProjectionState =
  'starting' | 'catching-up' | 'running' | 'paused' | 'standby' | 'failed' | 'stopped';
