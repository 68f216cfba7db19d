export * from './curve.ts';
export * from './scenario-clock.ts';
