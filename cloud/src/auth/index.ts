export * from './roles.ts';
export * from './passwords.ts';
export * from './users.ts';
export * from './auth-service.ts';
export { AUTH_MIGRATIONS } from './migrations.ts';
export * from './password-policy.ts';
export * from './login-throttle.ts';
export * from './api-tokens.ts';
