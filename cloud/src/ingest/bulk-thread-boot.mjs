// Entry of the bulk telemetry thread. The cloud runs its TypeScript through tsx (node --import tsx),
// and a worker thread does not inherit that loader on Node 20: register it here, then load the thread.
import { workerData } from 'node:worker_threads';

if (workerData.entry.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(workerData.entry);
