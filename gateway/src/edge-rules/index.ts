export * from './limit-evaluator.ts';
