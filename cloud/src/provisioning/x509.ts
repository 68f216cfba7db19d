/**
 * The one place the cloud loads @peculiar/x509: it needs the reflect polyfill before import and a
 * WebCrypto provider (node's). Everything else imports `x509` and `subtle` from here.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export { x509 };
export const subtle = webcrypto.subtle;
/** ECDSA P-256 with SHA-256: small keys, fast signing, accepted by Mosquitto, AWS IoT and node:tls. */
export const EC_ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
