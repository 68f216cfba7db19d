/**
 * Test support (not production code): a private Mosquitto on a free port, optionally with mutual TLS
 * (a throw-away CA, server and client certificates made with openssl) and the per-gateway ACL from
 * RECIPES.md. restart() kills it (SIGKILL) and starts it again on the same port.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCerts {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  client(cn: string): { cert: string; key: string };
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'ignore' });
}

/** A CA, a server certificate for localhost/127.0.0.1 and client certificates (CN = the given names). */
export function makeTestCerts(clientCns: readonly string[]): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'safeloop-certs-'));
  chmodSync(dir, 0o755); // mosquitto started as root drops to the mosquitto user
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=SafeLoop Test CA', '-keyout', 'ca.key', '-out', 'ca.crt'], dir);
  const issue = (name: string, cn: string, ext: string) => {
    writeFileSync(join(dir, `${name}.ext`), ext);
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`], dir);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.crt`], dir);
    chmodSync(join(dir, `${name}.key`), 0o644);
  };
  issue('server', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  for (const cn of clientCns) issue(`client-${cn}`, cn, 'extendedKeyUsage=clientAuth\n');
  return {
    dir,
    ca: join(dir, 'ca.crt'),
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
    client: (cn) => ({ cert: join(dir, `client-${cn}.crt`), key: join(dir, `client-${cn}.key`) }),
  };
}

export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export interface TestMosquitto {
  port: number;
  /** Plain listener URL (always present; the TLS listener is on tlsPort). */
  url: string;
  tlsPort?: number;
  tlsUrl?: string;
  restart(downMs?: number): Promise<void>;
  kill(): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestMosquitto(opts: { certs?: TestCerts } = {}): Promise<TestMosquitto> {
  const dir = mkdtempSync(join(tmpdir(), 'safeloop-mosq-'));
  chmodSync(dir, 0o755);
  const port = await freePort();
  const tlsPort = opts.certs ? await freePort() : undefined;
  const lines = ['per_listener_settings true', 'persistence false', 'set_tcp_nodelay true', 'log_dest none', 'max_queued_messages 100000', 'max_inflight_messages 0'];
  lines.push(`listener ${port} 127.0.0.1`, 'allow_anonymous true');
  if (opts.certs && tlsPort !== undefined) {
    writeFileSync(join(dir, 'acl'), 'pattern readwrite safeloop/v1/%u/#\npattern read safeloop/v1/$cloud/status\n');
    chmodSync(join(dir, 'acl'), 0o644);
    lines.push(
      `listener ${tlsPort} 127.0.0.1`,
      `cafile ${opts.certs.ca}`,
      `certfile ${opts.certs.serverCert}`,
      `keyfile ${opts.certs.serverKey}`,
      'require_certificate true',
      'use_identity_as_username true',
      `acl_file ${join(dir, 'acl')}`,
    );
  }
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, `${lines.join('\n')}\n`);
  chmodSync(conf, 0o644);
  let proc: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    proc = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
    const deadline = Date.now() + 5000;
    for (;;) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => {
          s.end();
          resolve(true);
        });
        s.once('error', () => resolve(false));
      });
      if (ok) return;
      if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`mosquitto did not start on ${port} (exit ${proc.exitCode})`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const kill = (): void => {
    if (proc && proc.exitCode === null) proc.kill('SIGKILL');
  };
  const waitExit = async (): Promise<void> => {
    const p = proc;
    if (p && p.exitCode === null && p.signalCode === null) await new Promise((r) => p.once('exit', r));
  };
  await start();
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    ...(tlsPort === undefined ? {} : { tlsPort, tlsUrl: `mqtts://localhost:${tlsPort}` }),
    kill,
    start,
    async restart(downMs = 0) {
      kill();
      await waitExit();
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
      await start();
    },
    async stop() {
      kill();
      await waitExit();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Run a full GC so closed aws-crt clients release their native handles now (aws-crt-nodejs #600);
 * otherwise a test process lingers for tens of seconds after its last test.
 */
export function collectNativeHandles(): void {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  gc();
}
