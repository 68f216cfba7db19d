/**
 * Certificate renewal without a site visit: an HTTPS endpoint that requires a client certificate issued by
 * the cloud CA (mutual TLS). The gateway is whoever the presented certificate names (CN), never what the
 * body says; the serial must be one we issued to that gateway and not revoked (the service checks).
 *
 *   POST /renew   { csrPem }  →  { certificatePem, caPem, notAfter }
 */
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { z } from 'zod';
import { SafeLoopError, errorMessage, type Logger } from '@safeloop/contract';
import type { ProvisioningService } from './provisioning-service.ts';

const RenewBody = z.object({ csrPem: z.string().min(100).max(16_384) });
const STATUS: Record<string, number> = { CLOUD_ERR_VALIDATION: 400, CLOUD_ERR_FORBIDDEN: 403 };

export interface RenewalServerOptions {
  service: ProvisioningService;
  logger: Logger;
  host: string;
  port: number;
  /** Names the server certificate covers (default localhost, 127.0.0.1). */
  hostnames?: string[];
}

export class RenewalServer {
  private constructor(
    private readonly server: https.Server,
    readonly url: string,
  ) {}

  static async start(opts: RenewalServerOptions): Promise<RenewalServer> {
    const serverCert = await opts.service.ca.issueServerCertificate(opts.hostnames ?? ['localhost', '127.0.0.1']);
    const server = https.createServer(
      { key: serverCert.keyPem, cert: serverCert.certificatePem, ca: opts.service.ca.caPem, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' },
      (req, res) => {
        const send = (status: number, body: unknown): void => {
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        };
        if (req.method !== 'POST' || req.url !== '/renew') return send(404, { error: { code: 'CLOUD_ERR_NOT_FOUND', message: 'POST /renew only' } });
        const peer = (req.socket as TLSSocket).getPeerCertificate();
        const gatewayId = typeof peer.subject?.CN === 'string' ? peer.subject.CN : undefined;
        if (!gatewayId || !peer.serialNumber) return send(401, { error: { code: 'CLOUD_ERR_UNAUTHENTICATED', message: 'a client certificate is required' } });
        const chunks: Buffer[] = [];
        let size = 0;
        req.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= 32_768) chunks.push(c);
        });
        req.on('end', () => {
          void (async () => {
            try {
              if (size > 32_768) throw new SafeLoopError('CLOUD_ERR_VALIDATION', 'request body too large');
              const body = RenewBody.safeParse(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'));
              if (!body.success) throw new SafeLoopError('CLOUD_ERR_VALIDATION', `body.csrPem: ${body.error.issues[0]?.message ?? 'invalid'}`);
              send(200, await opts.service.renew(gatewayId, peer.serialNumber, body.data.csrPem));
            } catch (err) {
              const code = err instanceof SafeLoopError ? err.code : 'CLOUD_ERR_VALIDATION';
              const status = STATUS[code] ?? (err instanceof SyntaxError ? 400 : 500);
              if (status >= 500) opts.logger.error({ gatewayId, err: errorMessage(err) }, 'certificate renewal failed');
              else opts.logger.warn({ gatewayId, err: errorMessage(err) }, 'certificate renewal refused');
              send(status, { error: { code, message: status >= 500 ? 'internal error' : errorMessage(err) } });
            }
          })();
        });
      },
    );
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host, () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    return new RenewalServer(server, `https://${opts.hostnames?.[0] ?? 'localhost'}:${port}/renew`);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
