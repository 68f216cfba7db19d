/**
 * `safeloop provision scan | browse | commission` — the field half of a technician's visit: find the
 * Modbus devices on a line, list an OPC-UA server, then read and judge every planned point and leave
 * the gateway's device config and a signed-off report (uploaded to the cloud when asked).
 * Heavy modules (serialport, node-opcua) load inside the actions so `--help` stays fast.
 */
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { Command } from 'commander';
import { SafeLoopError } from '@safeloop/contract';
import type { ProfileCatalog } from '@safeloop/device-profiles';

export interface ProvisionIo {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Whether to draw the progress bar (default: stderr is a TTY). */
  progress?: boolean;
}

const defaultIo: ProvisionIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

function positiveInt(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new SafeLoopError('CLI_USAGE', `${what}: "${text}" is not a positive whole number`);
  return n;
}

function seconds(ms: number): string {
  const s = Math.ceil(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

interface ScanOptions {
  serial?: string;
  tcp?: string;
  bauds: string;
  parities: string;
  units?: string;
  timeout: string;
  json?: boolean;
}

async function runScan(opts: ScanOptions, io: ProvisionIo): Promise<void> {
  if ((opts.serial === undefined) === (opts.tcp === undefined)) throw new SafeLoopError('CLI_USAGE', 'give exactly one of --serial PATH or --tcp HOST[:PORT]');
  const c = {
    ...(await import('@safeloop/gateway/commissioning/scan-plan')),
    ...(await import('@safeloop/gateway/commissioning/scan')),
    ...(await import('@safeloop/gateway/commissioning/scan-format')),
  };
  const timeoutMs = positiveInt(opts.timeout, '--timeout');
  const { SingleBar, Presets } = await import('cli-progress');
  const drawBar = io.progress ?? process.stderr.isTTY;
  const bar = drawBar
    ? new SingleBar({ format: 'scan {bar} {value}/{total} probes | {left} left | {where} | found {found}', hideCursor: true, clearOnComplete: true, stream: process.stderr }, Presets.shades_classic)
    : undefined;
  const abort = new AbortController();
  const onSigint = (): void => abort.abort();
  process.once('SIGINT', onSigint);
  let started = false;
  const hooks = {
    signal: abort.signal,
    onProgress: (p: { done: number; total: number; etaMs: number; unitId: number; found: number; setting?: { baudRate: number; parity: string } }) => {
      const payload = { left: seconds(p.etaMs), where: `${p.setting ? `${p.setting.baudRate} ${p.setting.parity} ` : ''}unit ${p.unitId}`, found: p.found };
      if (!bar) return;
      if (!started) {
        bar.start(p.total, p.done, payload);
        started = true;
      } else {
        bar.setTotal(p.total);
        bar.update(p.done, payload);
      }
    },
    onFound: (d: { unitId: number }) => {
      if (!bar && opts.json !== true) io.err(`found unit ${d.unitId}\n`);
    },
  };
  try {
    let result;
    if (opts.serial !== undefined) {
      const plan = { settings: c.lineSettings(c.parseBauds(opts.bauds), c.parseParities(opts.parities)), units: c.parseUnitRange(opts.units ?? '1-247'), timeoutMs };
      if (opts.json !== true) io.err(`Scanning ${opts.serial}: ${plan.settings.length} line setting(s) × ${plan.units.length} unit id(s), at most ${seconds(c.worstCaseMs(plan))}\n`);
      result = await c.scanSerialLine({ path: opts.serial, plan, ...hooks });
    } else {
      const [host, port] = (opts.tcp ?? '').split(':');
      if (!host) throw new SafeLoopError('CLI_USAGE', '--tcp: give HOST or HOST:PORT');
      const units = c.parseUnitRange(opts.units ?? '1-247', { tcp: true });
      result = await c.scanTcpGateway({ host, port: port ? positiveInt(port, '--tcp port') : 502, units, timeoutMs, ...hooks });
    }
    bar?.stop();
    io.out(opts.json === true ? `${JSON.stringify(result, null, 2)}\n` : `${c.formatScanResult(result)}\n`);
    if (result.found.length === 0) process.exitCode = 3;
  } finally {
    bar?.stop();
    process.removeListener('SIGINT', onSigint);
  }
}

interface BrowseCliOptions {
  opcua: string;
  security: 'None' | 'Sign' | 'SignAndEncrypt';
  policy?: string;
  pki?: string;
  depth: string;
  timeout: string;
  server?: boolean;
  json?: boolean;
}

async function runBrowse(opts: BrowseCliOptions, io: ProvisionIo): Promise<void> {
  const { OpcuaTransportSchema } = await import('@safeloop/gateway/field-config');
  const c = await import('@safeloop/gateway/commissioning/opcua-browse');
  const parsed = OpcuaTransportSchema.safeParse({
    kind: 'opcua',
    endpoint: opts.opcua,
    securityMode: opts.security,
    ...(opts.security === 'None' ? { securityPolicy: 'None' } : opts.policy ? { securityPolicy: opts.policy } : {}),
    ...(opts.pki ? { pkiDir: opts.pki } : {}),
    timeoutMs: positiveInt(opts.timeout, '--timeout'),
  });
  if (!parsed.success) throw new SafeLoopError('CLI_USAGE', parsed.error.issues.map((i) => `${i.path.join('.') || 'opcua'}: ${i.message}`).join('; '));
  try {
    const tree = await c.browseOpcua(parsed.data, { depth: positiveInt(opts.depth, '--depth'), includeServer: opts.server === true });
    io.out(opts.json === true ? `${JSON.stringify(tree, null, 2)}\n` : `${c.formatBrowseTree(tree)}\n`);
  } catch (err) {
    if (err instanceof SafeLoopError && err.code === 'GW_ERR_OPCUA_UNTRUSTED_CERT') {
      const cmd = typeof err.details?.trustCommand === 'string' ? err.details.trustCommand : '';
      io.err(`The server's certificate is not trusted; it was not used.\nCheck its thumbprint with the plant, then trust it with:\n  ${cmd}\nand run browse again.\n`);
    }
    throw err;
  }
}

interface CommissionCliOptions {
  plan?: string;
  technician?: string;
  config: string;
  report: string;
  reads?: string;
  cloud?: string;
  token?: string;
  site?: string;
  json?: boolean;
  profileDir: string[];
}

/** The profiles a prompt offers: the library's ids on one line, then each profile of the extra folders with its name and file. */
function profileChoices(catalog: ProfileCatalog, cwd = process.cwd()): string {
  const entries = catalog.entries();
  const library = entries.filter((e) => e.library).map((e) => e.profile.id);
  const extra = entries.filter((e) => !e.library);
  const lines = [`Profiles (library): ${library.join(', ')}`];
  if (extra.length > 0) {
    lines.push('Profiles (--profile-dir):');
    for (const e of extra) lines.push(`  ${e.profile.id}  ${e.profile.name.zh} / ${e.profile.name.en}  (${relative(cwd, e.file)})`);
  }
  lines.push('A profile file may also be given by its path.');
  return `${lines.join('\n')}\n`;
}

/** Interactive plan when no --plan is given on a terminal: one device at a time, profiles from the catalog (library and --profile-dir). */
async function promptPlan(io: ProvisionIo, catalog: ProfileCatalog): Promise<unknown> {
  const { createInterface } = await import('node:readline/promises');
  const c = await import('@safeloop/gateway/commissioning/transport-spec');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const technician = (await rl.question('Technician name: ')).trim();
    io.err(profileChoices(catalog));
    const devices: unknown[] = [];
    for (;;) {
      const id = (await rl.question(`Device ${devices.length + 1} id (empty to finish): `)).trim();
      if (id === '') break;
      const profile = (await rl.question('  profile: ')).trim();
      try {
        catalog.get(profile);
      } catch (err) {
        io.err(`  ${err instanceof Error ? err.message : String(err)} — device skipped\n`);
        continue;
      }
      const spec = await rl.question('  transport (rtu:PATH:BAUD:PARITY:UNIT | tcp:HOST:PORT:UNIT | opc.tcp://…): ');
      try {
        devices.push({ id, profile, transport: c.parseTransportSpec(spec) });
      } catch (err) {
        io.err(`  ${err instanceof Error ? err.message : String(err)} — device skipped\n`);
      }
    }
    return { technician, devices };
  } finally {
    rl.close();
  }
}

async function runCommission(opts: CommissionCliOptions, io: ProvisionIo): Promise<void> {
  const c = {
    ...(await import('@safeloop/gateway/commissioning/commission-plan')),
    ...(await import('@safeloop/gateway/commissioning/commission')),
    ...(await import('@safeloop/gateway/commissioning/report')),
  };
  const { validateConfig } = await import('@safeloop/contract');
  const upload = [opts.cloud, opts.token, opts.site].filter((x) => x !== undefined).length;
  if (upload !== 0 && upload !== 3) throw new SafeLoopError('CLI_USAGE', 'uploading needs all of --cloud URL, --token TOKEN and --site ID');
  const { ProfileCatalog } = await import('@safeloop/device-profiles');
  const catalog = ProfileCatalog.load({ dirs: opts.profileDir });
  let plan;
  if (opts.plan !== undefined) plan = c.loadCommissionPlan(opts.plan);
  else if (process.stdin.isTTY) plan = validateConfig('(prompts)', await promptPlan(io, catalog), c.CommissionPlanSchema);
  else throw new SafeLoopError('CLI_USAGE', 'give --plan FILE (interactive prompts need a terminal)');
  if (opts.reads !== undefined) plan = { ...plan, reads: positiveInt(opts.reads, '--reads') };
  const technician = opts.technician ?? plan.technician;
  if (technician === undefined || technician.trim() === '') throw new SafeLoopError('CLI_USAGE', 'name the technician: --technician NAME or `technician:` in the plan');
  if (opts.site !== undefined) plan = { ...plan, site: opts.site };

  const result = await c.commissionDevices(plan, {
    technician,
    resolveProfile: catalog.resolve,
    onDevice: (d) => {
      if (opts.json === true) return;
      const flagged = d.points.filter((p) => p.flags.length > 0).length;
      io.err(`${d.id}: ${d.error !== undefined ? `NOT READ — ${d.error}` : `${d.points.length} point(s), ${flagged} flagged`}\n`);
    },
  });
  const report = c.buildReport(result);
  const yaml = c.deviceConfigYaml(result);
  writeFileSync(opts.config, yaml);
  writeFileSync(`${opts.report}.md`, report.markdown);
  writeFileSync(`${opts.report}.html`, report.html);
  let uploaded: { id: string } | undefined;
  if (opts.cloud !== undefined && opts.token !== undefined && opts.site !== undefined) {
    uploaded = await c.uploadReport({ cloudUrl: opts.cloud, token: opts.token, siteId: opts.site, report });
  }
  if (opts.json === true) {
    io.out(`${JSON.stringify({ result, files: { config: opts.config, markdown: `${opts.report}.md`, html: `${opts.report}.html` }, uploaded: uploaded ?? null }, null, 2)}\n`);
  } else {
    io.out(`${report.markdown}\n`);
    io.out(`Device config written to ${opts.config}; report to ${opts.report}.md and ${opts.report}.html\n`);
    if (uploaded) io.out(`Report uploaded to ${opts.cloud ?? ''} for site ${opts.site ?? ''} (id ${uploaded.id})\n`);
  }
  if (!result.summary.passed) process.exitCode = 3;
}

/** Add scan, browse and commission to a `provision` command group. */
export function registerFieldProvisionCommands(group: Command, io: ProvisionIo = defaultIo): void {
  group
    .command('scan')
    .description('Find Modbus devices: try baud rates, parities and unit ids on an RS-485 line (or unit ids behind a Modbus TCP gateway)')
    .option('--serial <path>', 'serial port of the USB–RS-485 adapter, e.g. /dev/ttyUSB0')
    .option('--tcp <host[:port]>', 'Modbus TCP gateway (port 502 by default)')
    .option('--bauds <list>', 'baud rates to try, in order', '9600,19200,4800,38400,115200')
    .option('--parities <list>', 'parities to try: none,even,odd', 'none,even')
    .option('--units <range>', 'unit ids, e.g. 1-247 or 1-10,20', '1-247')
    .option('--timeout <ms>', 'reply timeout per probe (line transmission time is added)', '100')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  safeloop provision scan --serial /dev/ttyUSB0 --bauds 9600,38400 --parities none,even --units 1-32\n  safeloop provision scan --tcp 192.168.1.50:502 --units 1-16 --json')
    .action((opts: ScanOptions) => runScan(opts, io));

  group
    .command('browse')
    .description("List an OPC-UA server's address space: node ids, node classes, data types, current values")
    .requiredOption('--opcua <url>', 'endpoint, e.g. opc.tcp://10.0.0.5:4840')
    .option('--security <mode>', 'None | Sign | SignAndEncrypt', 'SignAndEncrypt')
    .option('--policy <policy>', 'security policy (default Basic256Sha256)')
    .option('--pki <dir>', 'certificate folder (own/, trusted/, rejected/); default data/gateway/pki/opcua-client under the working directory')
    .option('--depth <n>', 'levels below Objects', '3')
    .option('--timeout <ms>', 'connection and request timeout', '10000')
    .option('--server', 'include the Server object')
    .option('--json', 'print JSON')
    .action((opts: BrowseCliOptions) => runBrowse(opts, io));

  group
    .command('commission')
    .description('Read every point of the planned devices live, flag suspicious readings, write the device config and the report')
    .option('--plan <file>', 'plan (YAML/JSON): { technician, reads, devices: [{ id, name, profile, transport }] }; prompts when omitted on a terminal')
    .option('--technician <name>', "technician's name for the report (overrides the plan)")
    .option('--config <file>', 'where to write the gateway devices: section', 'devices.yaml')
    .option('--report <prefix>', 'report file prefix (.md and .html are added)', 'commissioning-report')
    .option('--reads <n>', 'live reads per point (default from the plan, 3)')
    .option('--profile-dir <dir>', 'a folder of extra profile files beside the library (repeatable); plan devices may also name a profile file', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--cloud <url>', 'cloud to upload the report to')
    .option('--token <token>', 'API token of a field technician')
    .option('--site <id>', 'site the report belongs to')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  safeloop provision commission --plan examples/commission-plan.yaml --technician "Sun Wei" --cloud https://cloud.example --token $TOKEN --site tank-farm')
    .action((opts: CommissionCliOptions) => runCommission(opts, io));
}

