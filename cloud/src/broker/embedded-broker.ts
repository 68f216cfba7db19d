/**
 * An in-process MQTT broker (aedes) for the one-command demo and single-machine installs.
 * Production deployments use Mosquitto, EMQX or AWS IoT Core (docs/deployment.md).
 *
 * On loopback (the demo) it needs no credentials: only processes on this machine reach it. On any
 * other address it refuses to start unless TLS with client certificates is configured, because
 * anyone on that network could otherwise publish as any gateway or send `config` commands to them.
 * With TLS, every client must present a certificate issued by the project's CA (and not on the CRL);
 * its common name is its identity, and the same per-gateway ACL as the Mosquitto recipe applies
 * (`pattern readwrite safeloop/v1/%u/#`): a gateway publishes and subscribes only under
 * `safeloop/v1/<its id>/`. The identities in `cloudIdentities` (the cloud's own ingest client) may use
 * the whole `safeloop/` tree. A publish outside the ACL closes the connection; a subscription
 * outside it is refused (SUBACK 128).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import { Aedes, type Client } from 'aedes';
import { SafeLoopError, TOPIC_ROOT, type Logger } from '@safeloop/contract';

export interface EmbeddedBrokerTls {
  /** PEM files: the CA that issues gateway certificates, the broker's certificate and key, optionally the CRL. */
  ca: string;
  cert: string;
  key: string;
  crl?: string | undefined;
  /** Certificate common names with access to the whole `safeloop/` tree (default: safeloop-cloud). */
  cloudIdentities?: readonly string[] | undefined;
}

export interface EmbeddedBroker {
  readonly port: number;
  readonly url: string;
  /** Re-read the CRL (after a gateway was revoked); new connections are checked against it. */
  reloadCrl(): void;
  stop(): Promise<void>;
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** May this identity use this topic (publish) or topic filter (subscribe)? */
export function topicAllowed(identity: string, topic: string, cloud: ReadonlySet<string>): boolean {
  if (cloud.has(identity)) {
    const t = topic.startsWith('$share/') ? topic.split('/').slice(2).join('/') : topic;
    return t === 'safeloop/#' || t.startsWith('safeloop/');
  }
  if (topic.startsWith('$')) return false;
  const own = `${TOPIC_ROOT}/${identity}/`;
  return identity.length > 0 && !/[+#/]/.test(identity) && topic.startsWith(own);
}

export async function startEmbeddedBroker(opts: { host?: string; port: number; logger: Logger; tls?: EmbeddedBrokerTls | undefined }): Promise<EmbeddedBroker> {
  const host = opts.host ?? '127.0.0.1';
  const log = opts.logger.child({ module: 'cloud:broker' });
  const tlsOpts = opts.tls;
  if (!isLoopbackHost(host) && !tlsOpts) {
    throw new SafeLoopError(
      'CLOUD_ERR_CONFIG',
      `embedded MQTT broker: refusing to listen on ${host} without TLS and per-gateway client certificates — anyone on that network could publish as any gateway. Set embeddedBroker.tls (ca, cert, key, crl) or listen on 127.0.0.1`,
    );
  }
  const cloud = new Set(tlsOpts?.cloudIdentities ?? ['safeloop-cloud']);
  const identities = new WeakMap<Client, string>();
  const identityOf = (client: Client | null): string | undefined => (client ? identities.get(client) : undefined);
  const broker = await Aedes.createBroker(
    tlsOpts
      ? {
          authenticate: (client, _username, _password, done) => {
            const cn = (client.conn as unknown as TLSSocket).getPeerCertificate?.()?.subject?.CN;
            const id = Array.isArray(cn) ? cn[0] : cn;
            if (typeof id !== 'string' || id.length === 0) {
              const err = Object.assign(new Error('a client certificate is required'), { returnCode: 5 });
              done(err as never, false);
              return;
            }
            identities.set(client, id);
            done(null, true);
          },
          authorizePublish: (client, packet, done) => {
            const id = identityOf(client);
            if (id === undefined || !topicAllowed(id, packet.topic, cloud)) {
              log.warn({ identity: id ?? null, topic: packet.topic }, 'publish outside the client ACL refused');
              done(new Error(`not authorised to publish to ${packet.topic}`));
              return;
            }
            done(null);
          },
          authorizeSubscribe: (client, sub, done) => {
            const id = identityOf(client);
            if (id === undefined || !topicAllowed(id, sub.topic, cloud)) {
              log.warn({ identity: id ?? null, topic: sub.topic }, 'subscription outside the client ACL refused');
              done(null, null);
              return;
            }
            done(null, sub);
          },
        }
      : {},
  );
  const secureOptions = (): Parameters<typeof createTlsServer>[0] =>
    tlsOpts
      ? {
          ca: readFileSync(tlsOpts.ca),
          cert: readFileSync(tlsOpts.cert),
          key: readFileSync(tlsOpts.key),
          ...(tlsOpts.crl ? { crl: readFileSync(tlsOpts.crl) } : {}),
          requestCert: true,
          rejectUnauthorized: true,
          minVersion: 'TLSv1.2',
        }
      : {};
  const handle = (socket: Socket): void => {
    // No Nagle: an alarm forwarded right behind a big telemetry batch must not wait for a delayed ACK.
    socket.setNoDelay(true);
    broker.handle(socket);
  };
  const server: Server | TlsServer = tlsOpts ? createTlsServer(secureOptions(), handle) : createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  log.info({ host, port, tls: Boolean(tlsOpts) }, 'embedded MQTT broker listening');
  return {
    port,
    url: `${tlsOpts ? 'mqtts' : 'mqtt'}://${host}:${port}`,
    reloadCrl: () => {
      if (tlsOpts && 'setSecureContext' in server) server.setSecureContext(secureOptions() as never);
    },
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
