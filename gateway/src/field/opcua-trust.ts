/**
 * `safeloop read --opcua … --trust-server` (issue 13): a technician on site trusts the server's
 * certificate deliberately, for this PKI folder, after seeing its thumbprint — no prompt, no hand-moved
 * files. The certificate is fetched over the discovery service (GetEndpoints needs no security), its
 * SHA-1 thumbprint (what OPC-UA servers display) is returned for printing, and it is filed as trusted.
 */
import { createHash } from 'node:crypto';
import { SafeLoopError, withTimeout } from '@safeloop/contract';

export interface TrustedServer {
  thumbprint: string;
  /** Where the certificate now lives (the PKI folder's trusted/certs). */
  pkiDir: string;
  endpointUrl: string;
}

/** `applicationName` must be the one the reading client uses: the client certificate in the PKI folder carries it. */
export async function trustServerCertificate(endpoint: string, pkiDir: string, timeoutMs = 10_000, applicationName = 'SafeLoopRead'): Promise<TrustedServer> {
  // node-opcua is loaded only when OPC-UA is used (≈ 85 MiB of a Modbus-only gateway's memory otherwise).
  const [{ MessageSecurityMode, OPCUAClient, SecurityPolicy }, { certificateManagerFor }] = await Promise.all([import('node-opcua-client'), import('./opcua-connection.ts')]);
  const certificateManager = await certificateManagerFor(pkiDir);
  const client = OPCUAClient.create({
    applicationName,
    endpointMustExist: false,
    securityMode: MessageSecurityMode.None,
    securityPolicy: SecurityPolicy.None,
    connectionStrategy: { maxRetry: 0, initialDelay: 200, maxDelay: 1000 },
    transportTimeout: timeoutMs,
    clientCertificateManager: certificateManager,
  });
  try {
    await withTimeout(client.connect(endpoint), timeoutMs + 5000, () => new SafeLoopError('GW_ERR_OPCUA_TIMEOUT', `connect ${endpoint}: no answer within ${timeoutMs} ms`));
    const endpoints = await withTimeout(client.getEndpoints(), timeoutMs, () => new SafeLoopError('GW_ERR_OPCUA_TIMEOUT', `GetEndpoints on ${endpoint}: no answer`));
    const withCert = endpoints.find((e) => e.serverCertificate && e.serverCertificate.length > 0);
    if (!withCert?.serverCertificate) throw new SafeLoopError('GW_ERR_OPCUA_NO_CERT', `OPC-UA server ${endpoint} offers no certificate on any endpoint`);
    const der = withCert.serverCertificate;
    await certificateManager.trustCertificate(der);
    const hex = createHash('sha1').update(der).digest('hex').toUpperCase();
    return { thumbprint: hex.match(/../g)!.join(':'), pkiDir, endpointUrl: withCert.endpointUrl ?? endpoint };
  } catch (err) {
    if (err instanceof SafeLoopError) throw err;
    throw new SafeLoopError('GW_ERR_OPCUA_CONNECT', `cannot fetch the certificate of OPC-UA server ${endpoint}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  } finally {
    await withTimeout(client.disconnect(), 5000, () => new Error('disconnect timed out')).catch(() => undefined);
  }
}
