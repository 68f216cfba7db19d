export * from './region-code.ts';
export * from './scope.ts';
export * from './seed.ts';
export * from './registry.ts';
export { TENANCY_MIGRATIONS } from './migrations.ts';
