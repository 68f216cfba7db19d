export * from './types.ts';
export * from './channels.ts';
export * from './live-hub.ts';
export * from './webhooks.ts';
export * from './dispatcher.ts';
