export * from './hj212-logger-sim.ts';
export * from './gnss-sim.ts';
export * from './gnss-demo.ts';
