import { createServer } from 'node:net';

/**
 * A TCP port that was free a moment ago on 127.0.0.1 — for servers that must be told their port up
 * front (Mosquitto configs, the demo's port remapping). Servers we start ourselves listen on 0 instead.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
