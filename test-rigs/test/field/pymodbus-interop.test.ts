/**
 * Our simulators against a Modbus implementation we did not write (Debian's python3-pymodbus as the
 * client), so a symmetric bug shared by modbus-serial and our simulator cannot hide: MBAP and RTU
 * framing, CRC, bit packing, exception codes, float word order.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createPtyPair, startModbusRtuSimulator, startModbusTcpSimulator, type ModbusSim, type PtyPair } from '@safeloop/test-rigs/modbus/index';
import { allTablesProfile } from './helpers.ts';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('./pymodbus-client.py', import.meta.url));
const PYTHON = '/usr/bin/python3';

type PyResult = { registers?: number[]; bits?: number[]; exception?: number; error?: string; ok?: boolean };

async function pymodbus(spec: object): Promise<PyResult[]> {
  const { stdout } = await run(PYTHON, [SCRIPT, JSON.stringify(spec)], { timeout: 20_000 });
  const last = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as PyResult[];
}

function float32(hi: number, lo: number): number {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(hi, 0);
  b.writeUInt16BE(lo, 2);
  return b.readFloatBE(0);
}

const devices = [
  { unitId: 1, profileId: 'generic-catalytic-lel', points: { gas: { kind: 'constant' as const, value: 31.6 } } },
  { unitId: 2, profileId: 'generic-pond-radar-level', points: { waterLevel: { kind: 'constant' as const, value: 245.75 } } },
  { unitId: 7, profileId: 'test-all-tables', profile: allTablesProfile(), points: { door: { kind: 'constant' as const, value: 1 }, flood: { kind: 'constant' as const, value: 1 } } },
];

const requests = [
  { fn: 'holding', unit: 1, address: 0, count: 2 },
  { fn: 'input', unit: 2, address: 0, count: 2 },
  { fn: 'discrete', unit: 7, address: 0, count: 3 },
  { fn: 'write_coil', unit: 7, address: 1, values: [true] },
  { fn: 'coils', unit: 7, address: 0, count: 2 },
  { fn: 'write_registers', unit: 7, address: 0, values: [55, 0x4120, 0] },
  { fn: 'holding', unit: 7, address: 0, count: 3 },
  { fn: 'holding', unit: 1, address: 40, count: 2 },
];

function checkAnswers(got: PyResult[]): void {
  assert.deepEqual(got[0], { registers: [316, 0] });
  const pond = got[1]?.registers ?? [];
  assert.equal(float32(pond[0] ?? 0, pond[1] ?? 0), 245.75);
  assert.deepEqual(got[2], { bits: [1, 0, 1] });
  assert.deepEqual(got[3], { ok: true });
  assert.deepEqual(got[4], { bits: [0, 1] });
  assert.deepEqual(got[5], { ok: true });
  assert.deepEqual(got[6], { registers: [55, 0x4120, 0] });
  assert.deepEqual(got[7], { exception: 2 });
}

void describe('pymodbus (independent client) against our simulators', () => {
  void describe('Modbus TCP', () => {
    let sim: ModbusSim;
    before(async () => {
      sim = await startModbusTcpSimulator({ devices, refreshMs: 0 });
    });
    after(async () => {
      await sim.stop();
    });

    void test('reads, writes and exceptions agree with pymodbus', async () => {
      checkAnswers(await pymodbus({ tcp: { host: '127.0.0.1', port: sim.port }, requests }));
    });

    void test('the exception personality reaches pymodbus as that exception code', async () => {
      sim.setFault(1, { kind: 'exception', code: 4 });
      try {
        const got = await pymodbus({ tcp: { host: '127.0.0.1', port: sim.port }, requests: [{ fn: 'holding', unit: 1, address: 0, count: 1 }] });
        assert.deepEqual(got, [{ exception: 4 }]);
      } finally {
        sim.setFault(1, null);
      }
    });
  });

  void describe('Modbus RTU over a pty pair', () => {
    let pty: PtyPair;
    let sim: ModbusSim;
    before(async () => {
      pty = await createPtyPair();
      sim = await startModbusRtuSimulator({ path: pty.b, baudRate: 19200, devices, refreshMs: 0 });
    });
    after(async () => {
      await sim.stop();
      await pty.stop();
    });

    void test('CRC and RTU framing agree with pymodbus', async () => {
      checkAnswers(await pymodbus({ rtu: { port: pty.a, baudrate: 19200 }, requests }));
    });

    void test('a bad CRC from our side is rejected by pymodbus', async () => {
      sim.setFault(1, { kind: 'badCrc' });
      try {
        const got = await pymodbus({ rtu: { port: pty.a, baudrate: 19200 }, requests: [{ fn: 'holding', unit: 1, address: 0, count: 1 }] });
        assert.equal(got[0]?.registers, undefined, `pymodbus must not accept the frame: ${JSON.stringify(got)}`);
      } finally {
        sim.setFault(1, null);
      }
    });
  });
});
