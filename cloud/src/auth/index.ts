export * from './roles.ts';
export * from './passwords.ts';
export * from './users.ts';
export * from './auth-service.ts';
export { AUTH_MIGRATIONS } from './migrations.ts';
