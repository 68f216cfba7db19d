/**
 * Test support: a private Mosquitto with mutual TLS on a free port — `require_certificate`, identity = the
 * certificate CN (`use_identity_as_username`), a CRL, and the per-gateway ACL:
 *
 *   pattern readwrite safeloop/v1/%u/#          each gateway only under its own id
 *   pattern read safeloop/v1/$cloud/status      … and the cloud's retained online/offline status
 *   user <cloud identity>                        the cloud ingest reads every uplink, writes every downlink
 *   topic read  safeloop/v1/+/up/#
 *   topic write safeloop/v1/+/down/#
 *   topic readwrite safeloop/v1/$cloud/status
 *
 * Files are copied into a private folder readable by the `mosquitto` user (Mosquitto started as root drops
 * to it). `reload()` re-reads the CRL by restarting on the same port (existing sessions are cut, as after
 * a revocation they must be).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { freePort } from '../net/free-port.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SecureMosquittoOptions {
  /** CA that signs client certificates (and, here, the server certificate). */
  caFile: string;
  serverCertPem: string;
  serverKeyPem: string;
  /** CRL file; copied at start and at every reload. */
  crlFile?: string;
  /** Identities (certificate CN) with the cloud's wide rights. Default ['cloud-ingest']. */
  cloudIdentities?: readonly string[];
  /** Extra ACL text appended verbatim (e.g. `user aws-claim` with `$aws/...` rights for a fleet-provisioning test). */
  extraAcl?: string;
}

export interface SecureMosquitto {
  port: number;
  /** mqtts://localhost:PORT (the server certificate names localhost and 127.0.0.1). */
  url: string;
  /** Re-read the CRL (restart on the same port). */
  reload(): Promise<void>;
  stop(): Promise<void>;
}

export function mosquittoAcl(cloudIdentities: readonly string[]): string {
  const lines = [
    '# every gateway (identity = certificate CN) only under its own subtree, plus the cloud status',
    'pattern readwrite safeloop/v1/%u/#',
    'pattern read safeloop/v1/$cloud/status',
    '',
  ];
  for (const id of cloudIdentities) {
    lines.push(`user ${id}`, 'topic read safeloop/v1/+/up/#', 'topic write safeloop/v1/+/down/#', 'topic readwrite safeloop/v1/$cloud/status', '');
  }
  return lines.join('\n');
}

export async function startSecureMosquitto(opts: SecureMosquittoOptions): Promise<SecureMosquitto> {
  const dir = mkdtempSync(join(tmpdir(), 'safeloop-smosq-'));
  chmodSync(dir, 0o755);
  const file = (name: string, text: string): string => {
    const p = join(dir, name);
    writeFileSync(p, text);
    chmodSync(p, 0o644); // test-only key: readable by the mosquitto user
    return p;
  };
  const ca = join(dir, 'ca.crt');
  copyFileSync(opts.caFile, ca);
  chmodSync(ca, 0o644);
  const cert = file('server.crt', opts.serverCertPem);
  const key = file('server.key', opts.serverKeyPem);
  const crl = join(dir, 'crl.pem');
  const copyCrl = (): void => {
    if (!opts.crlFile) return;
    copyFileSync(opts.crlFile, crl);
    chmodSync(crl, 0o644);
  };
  copyCrl();
  const acl = file('acl', `${mosquittoAcl(opts.cloudIdentities ?? ['cloud-ingest'])}${opts.extraAcl ?? ''}\n`);
  const port = await freePort();
  const conf = file(
    'mosquitto.conf',
    [
      'per_listener_settings true',
      'persistence false',
      'set_tcp_nodelay true',
      'log_dest stderr',
      'log_type error',
      `listener ${port} 127.0.0.1`,
      `cafile ${ca}`,
      `certfile ${cert}`,
      `keyfile ${key}`,
      ...(opts.crlFile ? [`crlfile ${crl}`] : []),
      'tls_version tlsv1.2',
      'require_certificate true',
      'use_identity_as_username true',
      'allow_anonymous false',
      `acl_file ${acl}`,
      '',
    ].join('\n'),
  );
  let proc: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    const p = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    proc = p;
    let stderr = '';
    p.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const deadline = Date.now() + 5000;
    for (;;) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => {
          s.destroy();
          resolve(true);
        });
        s.once('error', () => resolve(false));
      });
      if (ok) return;
      if (Date.now() > deadline || p.exitCode !== null) throw new Error(`mosquitto did not start on ${port} (exit ${p.exitCode}): ${stderr.slice(0, 500)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const halt = async (): Promise<void> => {
    const p = proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    const t = setTimeout(() => p.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(t);
  };
  try {
    await start();
  } catch (err) {
    await halt();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    port,
    url: `mqtts://localhost:${port}`,
    async reload() {
      await halt();
      copyCrl();
      await start();
    },
    async stop() {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
