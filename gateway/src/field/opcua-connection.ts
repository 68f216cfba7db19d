/**
 * Open an OPC-UA client session with the configured security, a certificate trust folder and no
 * silent trust: an unknown server certificate is rejected (node-opcua files it under rejected/) and
 * the error names the exact command that trusts it. Security mode None is used only when configured.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import { MessageSecurityMode, OPCUAClient, SecurityPolicy, type ClientSession } from 'node-opcua-client';
import { SafeLoopError, withTimeout, type Logger } from '@safeloop/contract';
import type { Transport } from './config.ts';
import { defaultPkiDir, trustCommand } from './opcua-pki.ts';

export type OpcuaTransport = Extract<Transport, { kind: 'opcua' }>;


export interface OpcuaConnection {
  client: OPCUAClient;
  session: ClientSession;
  close(): Promise<void>;
}

const managers = new Map<string, Promise<OPCUACertificateManager>>();
/** PKI folders whose last connect was refused for an untrusted certificate: rescanned before the next try. */
const awaitingTrust = new Set<string>();

/** One certificate manager per PKI folder per process (two managers on one folder would race on its lock). */
export function certificateManagerFor(pkiDir: string): Promise<OPCUACertificateManager> {
  let m = managers.get(pkiDir);
  if (!m) {
    m = (async () => {
      const cm = new OPCUACertificateManager({ rootFolder: pkiDir, automaticallyAcceptUnknownCertificate: false });
      await cm.initialize();
      return cm;
    })();
    managers.set(pkiDir, m);
    m.catch(() => managers.delete(pkiDir));
  }
  return m;
}

/** The most recently filed certificate in rejected/ (the one the server just presented, normally). */
async function newestRejected(dir: string): Promise<string | undefined> {
  let best: { name: string; mtime: number } | undefined;
  try {
    for (const name of await readdir(dir)) {
      const s = await stat(path.join(dir, name)).catch(() => undefined);
      if (s?.isFile() && (!best || s.mtimeMs > best.mtime)) best = { name, mtime: s.mtimeMs };
    }
  } catch {
    // no rejected/ folder yet
  }
  return best?.name;
}

/** A deadline on an OPC-UA call, failing with GW_ERR_OPCUA_TIMEOUT. */
const deadline = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  withTimeout(p, ms, () => new SafeLoopError('GW_ERR_OPCUA_TIMEOUT', `${what}: no answer within ${ms} ms`));

const UNTRUSTED = /BadCertificateUntrusted|BadCertificateChainIncomplete|BadSecurityChecksFailed|certificate verification failed/i;



export async function connectOpcua(opts: { transport: OpcuaTransport; logger: Logger; applicationName?: string }): Promise<OpcuaConnection> {
  const t = opts.transport;
  const pkiDir = t.pkiDir ?? defaultPkiDir();
  const timeoutMs = t.timeoutMs ?? 10_000;
  const mode = t.securityMode;
  if (mode !== 'None' && t.securityPolicy === 'None') {
    throw new SafeLoopError('GW_ERR_OPCUA_CONFIG', `${t.endpoint}: security mode ${mode} needs a security policy other than None`);
  }
  const certificateManager = await certificateManagerFor(pkiDir);
  // A person trusts a certificate by moving its file; the manager's folder watcher may notice late
  // (seen: more than 10 s on a loaded machine), so the retry after a refusal rescans the folders itself.
  if (awaitingTrust.delete(pkiDir)) await certificateManager.reloadCertificates();
  const rejectedDir = path.join(pkiDir, 'rejected');
  const client = OPCUAClient.create({
    applicationName: opts.applicationName ?? 'SafeLoopGateway',
    endpointMustExist: false,
    securityMode: MessageSecurityMode[mode],
    securityPolicy: mode === 'None' ? SecurityPolicy.None : SecurityPolicy[t.securityPolicy],
    // The source runs its own reconnect loop (fresh client, session and subscriptions), so the
    // client library must not retry on its own.
    connectionStrategy: { maxRetry: 0, initialDelay: 200, maxDelay: 1000 },
    keepSessionAlive: true,
    requestedSessionTimeout: 60_000,
    transportTimeout: timeoutMs,
    clientCertificateManager: certificateManager,
  });
  const dispose = async (): Promise<void> => {
    await deadline(client.disconnect(), 5000, 'disconnect').catch(() => undefined);
  };
  try {
    await deadline(client.connect(t.endpoint), timeoutMs + 10_000, `connect ${t.endpoint}`);
  } catch (err) {
    await dispose();
    const why = err instanceof Error ? err.message : String(err);
    if (UNTRUSTED.test(why)) {
      awaitingTrust.add(pkiDir);
      const file = await newestRejected(rejectedDir);
      const where = file === undefined ? rejectedDir : path.join(rejectedDir, file);
      const how = file === undefined ? `move its file from ${rejectedDir}/ to ${path.join(pkiDir, 'trusted', 'certs')}/` : trustCommand(pkiDir, file);
      throw new SafeLoopError(
        'GW_ERR_OPCUA_UNTRUSTED_CERT',
        `OPC-UA server ${t.endpoint} presented a certificate that is not trusted (${why}); it was filed as ${where}. ` +
          `After checking its thumbprint with the plant, trust it with: ${how}`,
        { cause: err, details: { endpoint: t.endpoint, rejected: where, trustCommand: how } },
      );
    }
    throw new SafeLoopError('GW_ERR_OPCUA_CONNECT', `cannot connect to OPC-UA server ${t.endpoint}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  let session: ClientSession;
  try {
    session = await deadline(client.createSession(), timeoutMs, `create session on ${t.endpoint}`);
  } catch (err) {
    await dispose();
    throw new SafeLoopError('GW_ERR_OPCUA_SESSION', `OPC-UA session on ${t.endpoint} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return {
    client,
    session,
    async close() {
      await deadline(session.close(), 3000, 'close session').catch(() => undefined);
      await dispose();
    },
  };
}
