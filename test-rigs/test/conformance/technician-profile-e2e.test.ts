/**
 * Issue 13, done-when: a technician adds a device the library does not know, with data only.
 * They write a YAML profile into a folder of their own, validate it, read the device (pymodbus, an
 * independent Modbus peer) with `--profile-dir DIR --profile ID` and with `--profile FILE`, add it to
 * a gateway config with `profileDirs`, `gateway --check` passes (and refuses an unknown profile and
 * two devices on one bus and unit with the words start gives), and its readings and a gas alarm reach
 * the cloud. All through the real CLI, the real gateway, Mosquitto and the cloud.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger } from '@safeloop/contract';
import { GatewayAgent, GatewayConfigSchema } from '@safeloop/gateway';
import { checkGatewayConfig } from '@safeloop/gateway/config-check';
import { CloudService } from '@safeloop/cloud/cloud-service';
import { CloudConfigSchema } from '@safeloop/cloud/config';
import { startTestMosquitto } from '@safeloop/test-rigs/mosquitto/test-mosquitto';
import { freePort } from '../../src/net/free-port.ts';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const DETECTOR = fileURLToPath(new URL('./pymodbus-gas-detector.py', import.meta.url));

/** What the technician writes: the detector's register map from its manual, as data. */
const PROFILE = `# ACME GD-100 point-type combustible gas detector, Modbus: 40001 gas 0.1 %LEL (int16),
# 40002 status (0 normal, 3 fault, 4 calibration), 40004 sensor life %.
id: acme-gd100
name: { zh: ACME GD-100 可燃气体探测器, en: ACME GD-100 combustible gas detector }
sector: hazchem
protocol: modbus
points:
  - id: gas
    name: { zh: 可燃气体浓度, en: Combustible gas }
    table: holding
    address: 0
    type: int16
    scale: 0.1
    unit: "%LEL"
    range: { min: 0, max: 100 }
    limits: [ { level: GAS_1, direction: high, value: 25 }, { level: GAS_2, direction: high, value: 50 } ]
  - id: sensorLife
    name: { zh: 传感器剩余寿命, en: Sensor life }
    table: holding
    address: 3
    type: uint16
    unit: "%"
    range: { min: 0, max: 100 }
status:
  - id: channel
    name: { zh: 通道状态, en: channel status }
    table: holding
    address: 1
    codes:
      - { value: 0, state: normal }
      - { value: 3, state: fault, label: { zh: 故障, en: fault } }
      - { value: 4, state: calibration, label: { zh: 标定, en: calibration } }
    appliesTo: [ gas ]
`;

function cli(args: string[], cwd: string): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [join(REPO, 'cli/bin/safeloop.js'), ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

async function startDetector(port: number): Promise<{ send(cmd: string): Promise<void>; stop(): Promise<void> }> {
  const proc: ChildProcessWithoutNullStreams = spawn('/usr/bin/python3', [DETECTOR, String(port)]);
  const lines = createInterface({ input: proc.stdout });
  const waiters: { want: string; resolve: () => void }[] = [];
  let ready = false;
  lines.on('line', (l) => {
    if (l === 'READY') ready = true;
    const i = waiters.findIndex((w) => w.want === l);
    if (i >= 0) waiters.splice(i, 1)[0]!.resolve();
  });
  proc.stderr.resume();
  for (let k = 0; k < 100 && !ready; k++) await sleep(50);
  assert.ok(ready, 'pymodbus detector started');
  return {
    send: (cmd) =>
      new Promise<void>((resolve) => {
        waiters.push({ want: `OK ${cmd}`, resolve });
        proc.stdin.write(`${cmd}\n`);
      }),
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGKILL');
      await gone;
    },
  };
}

void test('a technician adds a device as a YAML profile: validate, read, check, run, and it reaches the cloud', { timeout: 150_000 }, async (t) => {
  const site = await mkdtemp(join(tmpdir(), 'safeloop-technician-'));
  // Stop in the reverse order of starting (gateway, cloud, broker, detector), then remove the folder:
  // a client whose broker went first keeps reconnecting and holds the test process open.
  const stops: (() => Promise<unknown>)[] = [() => rm(site, { recursive: true, force: true })];
  t.after(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  });
  const t00 = Date.now();
  const step = (s: string): void => t.diagnostic(`${Date.now() - t00} ms ${s}`);
  await mkdir(join(site, 'site-profiles'));
  await writeFile(join(site, 'site-profiles', 'acme-gd100.yaml'), PROFILE);

  step('validate');
  // 1. validate the folder, and see the profile listed beside the library
  const valid = cli(['profile', 'validate', 'site-profiles'], site);
  assert.equal(valid.code, 0, valid.out + valid.err);
  assert.match(valid.out, /1 valid, 0 invalid/);
  const listed = cli(['profile', 'list', '--profile-dir', 'site-profiles'], site);
  assert.equal(listed.code, 0, listed.err);
  assert.match(listed.out, /acme-gd100\tACME GD-100 可燃气体探测器 \/ ACME GD-100 combustible gas detector\tmodbus\t2 points\t.*site-profiles\/acme-gd100\.yaml/);
  assert.match(listed.out, /generic-catalytic-lel\t.*\(library\)/);
  // a broken copy is reported with file, path and message, every problem in one pass, exit 1
  await mkdir(join(site, 'broken'));
  await writeFile(join(site, 'broken', 'bad.yaml'), PROFILE.replace('unit: "%LEL"', 'unit: "%lel"').replace('type: uint16', 'type: uint17'));
  const broken = cli(['profile', 'validate', 'broken'], site);
  assert.equal(broken.code, 1);
  assert.match(broken.out, /FAIL broken\/bad\.yaml: points\.0\.unit: unknown unit "%lel"/);
  assert.match(broken.out, /FAIL broken\/bad\.yaml: points\.1\.type/);

  step("read");
  // 2. read the device once, by id from the folder and by file path
  const port = await freePort();
  const detector = await startDetector(port);
  stops.push(() => detector.stop());
  for (const args of [['--profile-dir', 'site-profiles', '--profile', 'acme-gd100'], ['--profile', 'site-profiles/acme-gd100.yaml']]) {
    const read = cli(['read', ...args, '--tcp', `127.0.0.1:${port}`, '--unit', '1', '--json'], site);
    assert.equal(read.code, 0, read.out + read.err);
    const rows = JSON.parse(read.out) as { pointId: string; value: unknown; quality: string }[];
    assert.deepEqual(rows.find((r) => r.pointId === 'gas')?.value, 3, `gas reads 3 %LEL (${args.join(' ')})`);
    assert.equal(rows.find((r) => r.pointId === 'sensorLife')?.value, 97);
  }

  step('commission');
  // and commission it: the report and the devices: section for the gateway config
  await writeFile(
    join(site, 'visit.json'),
    JSON.stringify({ technician: '现场技术员 孙', reads: 2, devices: [{ id: 'gas-acme', name: '1号罐区 可燃气体', profile: 'acme-gd100', transport: { kind: 'modbus-tcp', host: '127.0.0.1', port, unitId: 1, timeoutMs: 500 } }] }),
  );
  const commissioned = cli(['provision', 'commission', '--plan', 'visit.json', '--profile-dir', 'site-profiles', '--config', 'devices.yaml', '--report', 'report', '--json'], site);
  assert.equal(commissioned.code, 0, commissioned.out + commissioned.err);
  assert.match(await readText(join(site, 'devices.yaml')), /profile: acme-gd100/);
  step("check");
  // 3. the gateway config names the folder; --check passes; mistakes are refused with start's words
  const broker = await startTestMosquitto();
  stops.push(() => broker.stop());
  const device = (id: string, profile: string, unitId = 1) => ({ id, profile, transport: { kind: 'modbus-tcp', host: '127.0.0.1', port, unitId, timeoutMs: 300 }, pollIntervalMs: 500 });
  const gatewayYaml = (devices: unknown[]) =>
    JSON.stringify({
      gateway: { id: 'gw-demo-01', siteId: 'tank-farm', statusIntervalSec: 5 },
      journal: { path: join(site, 'journal.db') },
      uplink: { transport: 'mqtt', url: broker.url, allowInsecure: true, keepaliveSec: 5 },
      profileDirs: ['site-profiles'],
      devices,
    });
  await writeFile(join(site, 'gateway.yaml'), gatewayYaml([device('gas-acme', 'acme-gd100')]));
  const ok = cli(['gateway', '--config', 'gateway.yaml', '--check'], site);
  assert.equal(ok.code, 0, ok.out + ok.err);
  assert.match(ok.out, /valid \(1 devices, 0 bridges, 1 extra profile folders\)/);
  await writeFile(join(site, 'bad-gateway.yaml'), gatewayYaml([device('gas-acme', 'acme-gd1000', 2), device('gas-b', 'acme-gd100'), device('gas-c', 'acme-gd100')]));
  const bad = cli(['gateway', '--config', 'bad-gateway.yaml', '--check'], site);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /devices\.0 \(gas-acme\): no device profile "acme-gd1000"; did you mean acme-gd100/);
  assert.match(bad.err, /devices gas-b and gas-c both use unit 1 on tcp:127\.0\.0\.1:\d+/);
  assert.match(bad.err, /2 problem\(s\); the gateway would refuse to start/);
  const refused = await GatewayAgent.start({ config: GatewayConfigSchema.parse(JSON.parse(await readText(join(site, 'bad-gateway.yaml')))), logger: silentLogger, configDir: site }).then(
    () => undefined,
    (err: unknown) => err,
  );
  assert.match(String(refused), /no device profile "acme-gd1000"[\s\S]*both use unit 1/, 'start refuses with the same words');

  step("run");
  // 4. run it: readings and a 二级 alarm reach the cloud
  const cloud = await CloudService.start(
    CloudConfigSchema.parse({
      http: { host: '127.0.0.1', port: 0 },
      store: { kind: 'sqlite', path: join(site, 'cloud.db') },
      mqtt: { url: broker.url },
      seed: 'cloud/seed/demo.yaml',
      // The cloud reads the same profile folder, so alarm titles and the site page carry its names.
      profileDirs: [join(site, 'site-profiles')],
      auth: { secretFile: join(site, 'token-secret') },
      web: { enabled: false },
      workers: { ingest: true, escalation: false },
    }),
    { logger: silentLogger, repoRoot: REPO, validateGatewayConfig: checkGatewayConfig },
  );
  stops.push(() => cloud.stop());
  step('cloud started');
  // The technician records the gateway's configuration in the cloud (its desired configuration): that is
  // how the cloud knows which device runs which profile.
  const techLogin = await fetch(`${cloud.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'tech', password: 'safeloop' }) });
  const techToken = ((await techLogin.json()) as { token: string }).token;
  const desired = { ...(JSON.parse(await readText(join(site, 'gateway.yaml'))) as Record<string, unknown>), devices: [{ ...device('gas-acme', 'acme-gd100'), name: '1号罐区 可燃气体探测器' }] };
  const put = await fetch(`${cloud.url}/api/gateways/gw-demo-01/config`, { method: 'PUT', headers: { authorization: `Bearer ${techToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ config: desired }) });
  assert.equal(put.status, 200, await put.text());
  const agent = await GatewayAgent.start({ config: GatewayConfigSchema.parse(JSON.parse(await readText(join(site, 'gateway.yaml')))), logger: silentLogger, configDir: site });
  stops.push(() => agent.stop());
  step('gateway started');
  const login = await fetch(`${cloud.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'operator', password: 'safeloop' }) });
  const { token } = (await login.json()) as { token: string };
  const get = async <T>(path: string): Promise<T> => (await (await fetch(`${cloud.url}${path}`, { headers: { authorization: `Bearer ${token}` } })).json()) as T;
  const waitFor = async <T>(what: string, probe: () => Promise<T | undefined>): Promise<T> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const v = await probe();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(200);
    }
  };
  const latest = await waitFor('the gas reading in the cloud', async () =>
    (await get<{ point: string; value: unknown }[]>('/api/sites/tank-farm/latest')).find((l) => l.point === 'tank-farm/gas-acme/gas' && l.value === 3),
  );
  assert.equal(latest.value, 3);
  await detector.send('gas 60');
  const alarm = await waitFor('the 二级 alarm in the cloud', async () =>
    (await get<{ items: { point: string | null; level: string | null; condition: string; title: string }[] }>('/api/alarms?siteId=tank-farm&pageSize=100')).items.find(
      (a) => a.point === 'tank-farm/gas-acme/gas' && a.level === 'GAS_2' && a.condition === 'active',
    ),
  );
  assert.ok(alarm);
  assert.equal(alarm.title, '二级报警：1号罐区 可燃气体探测器 gas-acme · 可燃气体浓度 / Level 2 alarm: gas-acme · Combustible gas', 'titled with the profile names');
  const sitePoints = (await get<{ points: { path: string; name?: string; unit?: string }[] }>('/api/sites/tank-farm')).points;
  assert.deepEqual(
    sitePoints.filter((p) => p.path.startsWith('tank-farm/gas-acme/')).map((p) => [p.path, p.name, p.unit]),
    [
      ['tank-farm/gas-acme/gas', '可燃气体浓度', '%LEL'],
      ['tank-farm/gas-acme/sensorLife', '传感器剩余寿命', '%'],
    ],
  );
  step('alarm seen');
});

async function readText(file: string): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  return readFile(file, 'utf8');
}
