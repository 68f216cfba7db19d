export * from './edge-evaluator.ts';
