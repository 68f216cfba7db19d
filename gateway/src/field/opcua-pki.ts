/** Where the OPC-UA client keeps its certificates, and how a person trusts a rejected server certificate. */
import os from 'node:os';
import path from 'node:path';

/** The client's PKI folder when the config names none (outside the application folder). */
export function defaultPkiDir(): string {
  return path.join(os.homedir(), '.config', 'safeloop', 'pki', 'opcua-client');
}

/** The command a person runs, after checking the thumbprint, to trust a rejected server certificate. */
export function trustCommand(pkiDir: string, file: string): string {
  return `mv '${path.join(pkiDir, 'rejected', file)}' '${path.join(pkiDir, 'trusted', 'certs')}/'`;
}
