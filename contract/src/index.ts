export * from './reading.ts';
export * from './levels.ts';
export * from './topics.ts';
export * from './messages.ts';
export * from './errors.ts';
export * from './logger.ts';
export * from './clock.ts';
export * from './config-file.ts';
