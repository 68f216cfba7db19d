/**
 * Issue 13: every example in the CLI's --help texts, and every command of device-profiles/README.md's
 * "Add a device in five steps", works as written.
 *
 * The examples are read from the help texts themselves (every command of the real program, walked
 * in-process), so a new example cannot slip past: each must be listed in HOW below, and HOW may list
 * nothing the help no longer shows. Every example goes through the real argument parser (commander
 * with the registered commands, only the actions swapped for a recorder): unknown options, missing
 * required options and wrong argument counts fail. Then:
 * - `run`: it is run from the checkout as written, and must exit as expected and print what it says;
 * - `check`: it starts a server; it is run with `--check` added (the config it names must be valid);
 * - `parse`: it needs hardware, a server or a running rig; what it refers to must exist: config,
 *   plan and profile files and folders, profile ids (resolved through the catalog with its
 *   --profile-dir), a plan's device profiles, a rig device in the plant the rig example runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { loadConfigFile } from '@safeloop/contract';
import { ProfileCatalog } from '@safeloop/device-profiles';
import { loadCommissionPlan } from '@safeloop/gateway/commissioning/commission-plan';
import { RigConfigSchema } from '@safeloop/test-rigs/rig-config';
import { registerCommands } from '../src/commands/index.ts';

const ROOT = resolve(new URL('../..', import.meta.url).pathname);
const BIN = join(ROOT, 'cli/bin/safeloop.js');

type How =
  | { run: { exit?: number; out: RegExp; stdoutTo?: string } }
  | { check: RegExp }
  | { parse: string };

/** How each example is exercised; `parse` says why it is not run here. */
const HOW: Record<string, How> = {
  'safeloop gateway --config examples/demo-gateway.yaml --check': { run: { out: /valid \(4 devices/ } },
  'safeloop gateway --config examples/demo-gateway.yaml': { check: /valid \(4 devices/ },
  'safeloop cloud --config examples/demo-cloud.yaml': { check: /valid \(store sqlite/ },
  'safeloop cloud --config examples/cloud-postgres.yaml': { check: /valid \(store postgres/ },
  'safeloop rig --config test-rigs/plants/demo-plant.yaml': { parse: 'starts simulators on the demo plant’s fixed ports' },
  'safeloop rig devices': { parse: 'talks to a running rig' },
  'safeloop rig pause tank-farm:1': { parse: 'talks to a running rig' },
  'safeloop rig resume tank-farm:1': { parse: 'talks to a running rig' },
  'safeloop read --profile generic-catalytic-lel --tcp 192.168.1.20:502 --unit 1': { parse: 'needs the device' },
  'safeloop read --profile generic-piezometer --serial /dev/ttyUSB0 --baud 9600 --parity even --unit 7': { parse: 'needs the device' },
  'safeloop read --profile generic-tank-gauging-opcua --opcua opc.tcp://10.0.0.5:4840 --json': { parse: 'needs the server' },
  'safeloop read --profile-dir examples/site-profiles --profile acme-gd100 --tcp 192.168.1.21:502 --unit 3': { parse: 'needs the device' },
  'safeloop read --profile examples/site-profiles/acme-gd100.yaml --tcp 192.168.1.21:502 --unit 3': { parse: 'needs the device' },
  'safeloop profile list': { run: { out: /^generic-catalytic-lel\t催化燃烧式可燃气体探测器 \/ Catalytic combustible gas detector\tmodbus\t5 points\t\(library\)$/m } },
  'safeloop profile list --profile-dir examples/site-profiles': { run: { out: /^acme-gd100\t.*\t\S*examples\/site-profiles\/acme-gd100\.yaml$/m } },
  'safeloop profile show generic-catalytic-lel': { run: { out: /^ {2}gas {2}可燃气体浓度 \/ Combustible gas concentration {2}\[%LEL\] range 0–100/m } },
  'safeloop profile show examples/site-profiles/acme-gd100.yaml': { run: { out: /^acme-gd100 — ACME GD-100/ } },
  'safeloop profile validate examples/site-profiles/acme-gd100.yaml': { run: { out: /1 valid, 0 invalid/ } },
  'safeloop profile validate device-profiles/profiles': { run: { out: /^(\d+) valid, 0 invalid$/m } },
  'safeloop schema gateway > gateway.schema.json': { run: { out: /^$/, stdoutTo: 'gateway.schema.json' } },
  'safeloop provision claim --cloud https://cloud.example.org --code 7K3M-Q9ZD-X2PA --gateway-id gw-dam-01 --out /etc/safeloop/identity': {
    parse: 'needs a cloud and a claim code',
  },
  'safeloop provision scan --serial /dev/ttyUSB0 --bauds 9600,38400 --parities none,even --units 1-32': { parse: 'needs an RS-485 line' },
  'safeloop provision scan --tcp 192.168.1.50:502 --units 1-16 --json': { parse: 'needs a Modbus TCP gateway' },
  'safeloop provision commission --plan examples/commission-plan.yaml --technician "Sun Wei" --cloud https://cloud.example --token $TOKEN --site tank-farm': {
    parse: 'needs the devices and a cloud',
  },
};

/** The examples of device-profiles/README.md's five steps, run in a technician's folder (site-profiles/, gateway.yaml). */
const README_HOW: Record<string, How> = {
  'safeloop profile list': { run: { out: /\(library\)/ } },
  'safeloop profile validate site-profiles': { run: { out: /^ok {3}site-profiles\/acme-gd100\.yaml\n1 valid, 0 invalid$/m } },
  'safeloop profile show site-profiles/acme-gd100.yaml': { run: { out: /^acme-gd100 — / } },
  'safeloop read --profile-dir site-profiles --profile acme-gd100 --tcp 192.168.1.21:502 --unit 3': { parse: 'needs the device' },
  'safeloop gateway --config gateway.yaml --check': { run: { out: /gateway\.yaml: valid \(1 devices, 0 bridges, 1 extra profile folders\)/ } },
};

/** Every help text of the real program, with the command path it belongs to. */
function helpTexts(): { path: string; text: string }[] {
  const program = new Command().name('safeloop');
  registerCommands(program);
  const out: { path: string; text: string }[] = [];
  const walk = (c: Command, path: string): void => {
    let text = '';
    c.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
    c.outputHelp();
    out.push({ path, text });
    for (const s of c.commands) walk(s, `${path} ${s.name()}`);
  };
  walk(program, 'safeloop');
  return out;
}

/** Example lines: indented lines that start with `safeloop `, without a trailing `# comment`. */
function examplesIn(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => /^\s+safeloop\s/.test(l))
    .map((l) => l.replace(/\s+#\s.*$/, '').trim());
}

/** Shell words: double quotes group, `$NAME` is a placeholder, `> FILE` redirects stdout. */
function words(line: string): { args: string[]; stdoutTo?: string | undefined } {
  const raw = [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '');
  const i = raw.indexOf('>');
  const args = (i >= 0 ? raw.slice(0, i) : raw).slice(1).map((w) => (w.startsWith('$') ? `placeholder-${w.slice(1).toLowerCase()}` : w));
  return i >= 0 && raw[i + 1] !== undefined ? { args, stdoutTo: raw[i + 1] } : { args };
}

interface Parsed {
  command: string[];
  opts: Record<string, unknown>;
  operands: string[];
}

/** Parse with the real commander setup; actions only record what they would have been given. */
function parseArgs(args: string[]): Parsed {
  const program = new Command().name('safeloop').exitOverride();
  let errors = '';
  program.configureOutput({ writeOut: () => undefined, writeErr: (s) => (errors += s) });
  registerCommands(program);
  let seen: Parsed | undefined;
  const record = (c: Command): void => {
    c.action((...params: unknown[]) => {
      const cmd = params[params.length - 1] as Command;
      const names: string[] = [];
      for (let x: Command | null = cmd; x && x.parent; x = x.parent) names.unshift(x.name());
      seen = { command: names, opts: cmd.opts(), operands: params.slice(0, -2).filter((p): p is string => typeof p === 'string') };
    });
    c.commands.forEach(record);
  };
  program.commands.forEach(record);
  try {
    program.parse(args, { from: 'user' });
  } catch (err) {
    throw new Error(`${args.join(' ')}: ${err instanceof CommanderError ? err.message : String(err)} ${errors}`, { cause: err });
  }
  if (!seen) throw new Error(`${args.join(' ')}: no command ran`);
  return seen;
}

/** What a parsed example refers to must exist (see the module comment). */
function checkReferences(example: string, p: Parsed, cwd: string): void {
  const at = (f: string): string => (isAbsolute(f) ? f : join(cwd, f));
  const exists = (what: string, f: unknown): void => {
    assert.ok(typeof f === 'string' && existsSync(at(f)), `${example}: ${what} ${String(f)} does not exist`);
  };
  // (commission's --config is the file it writes)
  if (p.opts.config !== undefined && ['gateway', 'cloud', 'rig'].includes(p.command[0] ?? '')) exists('--config', p.opts.config);
  const dirs = (p.opts.profileDir as string[] | undefined) ?? [];
  for (const d of dirs) exists('--profile-dir', d);
  const catalog = ProfileCatalog.load({ dirs, baseDir: cwd });
  if (typeof p.opts.profile === 'string') assert.doesNotThrow(() => catalog.get(p.opts.profile as string), `${example}: --profile`);
  if (typeof p.opts.plan === 'string') {
    exists('--plan', p.opts.plan);
    for (const d of loadCommissionPlan(at(p.opts.plan)).devices) assert.doesNotThrow(() => catalog.get(d.profile), `${example}: plan device ${d.id}`);
  }
  if (p.command[0] === 'rig' && p.operands[0] !== undefined) {
    // The device a pause/resume example names is in the plant the rig example starts.
    const [sim, unit] = p.operands[0].split(':');
    const plant = loadConfigFile(join(ROOT, 'test-rigs/plants/demo-plant.yaml'), RigConfigSchema);
    const modbus = plant.simulators.filter((s) => s.kind !== 'opcua' && s.name === sim);
    assert.ok(modbus.some((s) => s.kind !== 'opcua' && s.devices.some((d) => d.unitId === Number(unit))), `${example}: no Modbus device ${p.operands[0]} in the demo plant`);
  }
}

async function runCli(args: string[], cwd: string): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, out, err };
}

async function exercise(example: string, how: How, cwd: string): Promise<void> {
  const { args, stdoutTo } = words(example);
  const parsed = parseArgs(args);
  assert.deepEqual(parsed.command, args.slice(0, parsed.command.length), `${example}: parsed as ${parsed.command.join(' ')}`);
  if ('parse' in how) return checkReferences(example, parsed, cwd);
  const r = await runCli('check' in how ? [...args, '--check'] : args, cwd);
  assert.equal(r.code, 'run' in how ? (how.run.exit ?? 0) : 0, `${example}\n${r.out}${r.err}`);
  if ('check' in how) return assert.match(r.out, how.check, example);
  if (stdoutTo !== undefined) {
    assert.equal(stdoutTo, how.run.stdoutTo);
    writeFileSync(join(cwd, stdoutTo), r.out);
    const schema = JSON.parse(readFileSync(join(cwd, stdoutTo), 'utf8')) as { properties?: Record<string, unknown> };
    assert.ok(schema.properties?.devices && schema.properties.gateway, `${example}: a JSON Schema of the gateway config`);
    return;
  }
  assert.match(r.out, how.run.out, `${example}\n${r.out}`);
}

void test('every --help example is listed, parses with the real parser, and runs (or what it names exists)', { timeout: 170_000 }, async () => {
  const found = helpTexts().flatMap((h) => examplesIn(h.text));
  const unique = [...new Set(found)];
  assert.deepEqual(unique.filter((e) => !(e in HOW)), [], 'help examples without an entry in HOW');
  assert.deepEqual(Object.keys(HOW).filter((e) => !unique.includes(e)), [], 'HOW entries the help no longer shows');
  const tmp = mkdtempSync(join(tmpdir(), 'safeloop-examples-'));
  try {
    // Side by side: each is a separate process. The one redirect runs in a scratch folder, so the checkout stays clean.
    await Promise.all(
      unique.map((e) => {
        const how = HOW[e]!;
        return exercise(e, how, 'run' in how && how.run.stdoutTo !== undefined ? tmp : ROOT);
      }),
    );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

void test("device-profiles/README.md: the five steps' commands run in a technician's folder", { timeout: 120_000 }, async () => {
  const readme = readFileSync(join(ROOT, 'device-profiles/README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Add a device in five steps'), readme.indexOf('\n## ', readme.indexOf('## Add a device in five steps') + 5));
  const commands = [...section.matchAll(/`([^`]+)`/g)].map((m) => (m[1] ?? '').replace(/\s+/g, ' ').trim()).filter((c) => c.startsWith('safeloop '));
  assert.deepEqual([...new Set(commands)].sort(), Object.keys(README_HOW).sort(), 'README commands and README_HOW agree');
  // Step 1 and step 4 as the README describes them: a profile in site-profiles/, a gateway config naming it.
  const site = mkdtempSync(join(tmpdir(), 'safeloop-readme-'));
  try {
    cpSync(join(ROOT, 'examples/site-profiles'), join(site, 'site-profiles'), { recursive: true });
    writeFileSync(
      join(site, 'gateway.yaml'),
      [
        'gateway: { id: gw-site-01, siteId: tank-farm }',
        'journal: { path: ./journal.db }',
        'uplink: { transport: mqtt, url: "mqtt://127.0.0.1:1883", allowInsecure: true }',
        'profileDirs: [site-profiles]',
        'devices:',
        '  - { id: gas-acme, profile: acme-gd100, transport: { kind: modbus-tcp, host: 192.168.1.21, port: 502, unitId: 3 } }',
        '',
      ].join('\n'),
    );
    await Promise.all(Object.entries(README_HOW).map(([c, how]) => exercise(c, how, site)));
  } finally {
    rmSync(site, { recursive: true, force: true });
  }
});
