/**
 * Where the OPC-UA client keeps its certificates, and how a person trusts a rejected server certificate.
 * Never the home directory (issue 13): the gateway keeps them beside its journal, in its data folder;
 * the field tools default to the same place relative to where they run, so a certificate a technician
 * trusted with `safeloop read` is the one the gateway started from that folder uses.
 */
import path from 'node:path';

/** The PKI folder inside a data folder (the gateway's: the journal's folder). */
export function pkiDirIn(dataDir: string): string {
  return path.resolve(dataDir, 'pki', 'opcua-client');
}

/** The default when nothing names one: the gateway's default data folder under the working directory. */
export function defaultPkiDir(): string {
  return pkiDirIn(path.join('data', 'gateway'));
}

/** The command a person runs, after checking the thumbprint, to trust a rejected server certificate. */
export function trustCommand(pkiDir: string, file: string): string {
  return `mv '${path.join(pkiDir, 'rejected', file)}' '${path.join(pkiDir, 'trusted', 'certs')}/'`;
}
