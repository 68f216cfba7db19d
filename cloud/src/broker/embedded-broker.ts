/**
 * An in-process MQTT broker (aedes) for the one-command demo and single-machine installs.
 * Production deployments use Mosquitto, EMQX or AWS IoT Core (docs/deployment.md).
 */
import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';
import type { Logger } from '@safeloop/contract';

export interface EmbeddedBroker {
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
}

export async function startEmbeddedBroker(opts: { host?: string; port: number; logger: Logger }): Promise<EmbeddedBroker> {
  const host = opts.host ?? '127.0.0.1';
  const log = opts.logger.child({ module: 'cloud:broker' });
  const broker = await Aedes.createBroker();
  const server: Server = createServer(broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  log.info({ host, port }, 'embedded MQTT broker listening');
  return {
    port,
    url: `mqtt://${host}:${port}`,
    stop: async () => {
      await new Promise<void>((resolve) => {
        broker.close(() => resolve());
      });
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Close client sockets that the broker has not closed yet.
        setTimeout(resolve, 500).unref();
      });
    },
  };
}
