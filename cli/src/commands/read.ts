import type { Command } from 'commander';
import { SafeLoopError } from '@safeloop/contract';
import { resolve } from 'node:path';
import { TransportSchema, type Transport } from '@safeloop/gateway/field-config';
import { defaultPkiDir } from '@safeloop/gateway/field/opcua-pki';

interface ReadOptions {
  profile: string;
  tcp?: string;
  serial?: string;
  baud: string;
  parity: string;
  unit: string;
  opcua?: string;
  security: string;
  timeout: string;
  json?: boolean;
  profileDir: string[];
  pki?: string;
  trustServer?: boolean;
}

function transportFrom(opts: ReadOptions): Transport {
  const chosen = [opts.tcp, opts.serial, opts.opcua].filter((x) => x !== undefined).length;
  if (chosen !== 1) throw new SafeLoopError('CLI_USAGE', 'give exactly one of --tcp HOST:PORT, --serial PATH or --opcua URL');
  const timeoutMs = Number(opts.timeout);
  if (opts.tcp) {
    const [host, port] = opts.tcp.split(':');
    return TransportSchema.parse({ kind: 'modbus-tcp', host, port: port ? Number(port) : 502, unitId: Number(opts.unit), timeoutMs });
  }
  if (opts.serial) {
    return TransportSchema.parse({ kind: 'modbus-rtu', path: opts.serial, baudRate: Number(opts.baud), parity: opts.parity, unitId: Number(opts.unit), timeoutMs });
  }
  const pkiDir = resolve(opts.pki ?? defaultPkiDir());
  process.stderr.write(`OPC-UA certificates: ${pkiDir}\n`);
  return TransportSchema.parse({ kind: 'opcua', endpoint: opts.opcua, securityMode: opts.security, pkiDir, ...(opts.security === 'None' ? { securityPolicy: 'None' } : {}) });
}

export function registerReadCommand(program: Command): void {
  program
    .command('read')
    .description("Field technician's test read: read every point of a device once and print value, unit, quality and raw registers")
    .requiredOption('-p, --profile <id|file>', 'device profile id, or the path of a profile file (safeloop profile list shows the ids)')
    .option('--profile-dir <dir>', 'a folder of extra profile files beside the library (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--tcp <host:port>', 'Modbus TCP device or serial-to-TCP gateway')
    .option('--serial <path>', 'Modbus RTU serial port, e.g. /dev/ttyUSB0')
    .option('--baud <rate>', 'RTU baud rate', '9600')
    .option('--parity <parity>', 'RTU parity: none | even | odd', 'none')
    .option('--unit <id>', 'Modbus unit id', '1')
    .option('--opcua <url>', 'OPC-UA endpoint, e.g. opc.tcp://host:4840')
    .option('--security <mode>', 'OPC-UA security mode: None | Sign | SignAndEncrypt', 'SignAndEncrypt')
    .option('--trust-server', "OPC-UA: fetch the server's certificate, print its thumbprint and trust it in the PKI folder, then read (check the thumbprint with the plant)")
    .option('--pki <dir>', 'OPC-UA certificate folder (own/, trusted/, rejected/); default data/gateway/pki/opcua-client here, where a gateway run from this folder looks')
    .option('--timeout <ms>', 'per-request timeout', '1000')
    .option('--json', 'print JSON instead of a table')
    .addHelpText(
      'after',
      '\nExamples:\n  safeloop read --profile generic-catalytic-lel --tcp 192.168.1.20:502 --unit 1\n  safeloop read --profile generic-piezometer --serial /dev/ttyUSB0 --baud 9600 --parity even --unit 7\n  safeloop read --profile generic-tank-gauging-opcua --opcua opc.tcp://10.0.0.5:4840 --json\n  safeloop read --profile-dir examples/site-profiles --profile acme-gd100 --tcp 192.168.1.21:502 --unit 3\n  safeloop read --profile examples/site-profiles/acme-gd100.yaml --tcp 192.168.1.21:502 --unit 3',
    )
    .action(async (opts: ReadOptions) => {
      // node-opcua prints its warnings with console.log: stdout must carry only the table or the JSON.
      console.log = console.error;
      const { formatReadTable, readDeviceOnce } = await import('@safeloop/gateway/field');
      const transport = transportFrom(opts);
      if (opts.trustServer) {
        if (transport.kind !== 'opcua') throw new SafeLoopError('CLI_USAGE', '--trust-server is for OPC-UA (--opcua URL)');
        const { trustServerCertificate } = await import('@safeloop/gateway/field');
        const trusted = await trustServerCertificate(transport.endpoint, transport.pkiDir ?? defaultPkiDir(), Number(opts.timeout) * 10);
        process.stderr.write(`Trusted the certificate of ${trusted.endpointUrl}: SHA-1 thumbprint ${trusted.thumbprint} (check it against the server's own display)\n`);
      }
      const { ProfileCatalog } = await import('@safeloop/device-profiles');
      const catalog = ProfileCatalog.load({ dirs: opts.profileDir });
      const rows = await withTrustHint(readDeviceOnce({ profileId: opts.profile, transport, timeoutMs: Number(opts.timeout), resolveProfile: catalog.resolve }));
      process.stdout.write(opts.json ? `${JSON.stringify(rows, null, 2)}\n` : `${formatReadTable(rows)}\n`);
      if (rows.some((r) => r.quality === 'bad')) process.exitCode = 3;
    });
}

/** An untrusted OPC-UA server: say how to go on from here, on this laptop, without moving files by hand. */
async function withTrustHint<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof SafeLoopError && err.code === 'GW_ERR_OPCUA_UNTRUSTED_CERT') {
      throw new SafeLoopError(
        err.code,
        `${err.message}\nOr run the same command again with --trust-server: it prints the server's thumbprint and trusts it for this PKI folder. (--security None reads without encryption, only where the plant allows it.)`,
        { cause: err },
      );
    }
    throw err;
  }
}
