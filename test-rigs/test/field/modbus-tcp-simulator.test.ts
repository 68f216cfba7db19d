/**
 * The Modbus TCP simulator, read with modbus-serial as the client: profile values encode to the right
 * registers, every function code works, protocol errors get the right exception code, many unit ids
 * share one port, and nobody answers for an unknown unit.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeModbusPoints, getProfile } from '@safeloop/device-profiles';
import { startModbusTcpSimulator, type ModbusSim } from '@safeloop/test-rigs/modbus/index';
import { allTablesProfile, closeClient, mbap, rawConnection, rejection, tcpClient, type ModbusRTU } from './helpers.ts';

function float32(hi: number, lo: number): number {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(hi, 0);
  b.writeUInt16BE(lo, 2);
  return b.readFloatBE(0);
}

void describe('Modbus TCP simulator', () => {
  let sim: ModbusSim;
  let client: ModbusRTU;

  before(async () => {
    sim = await startModbusTcpSimulator({
      refreshMs: 0,
      devices: [
        { unitId: 1, profileId: 'generic-catalytic-lel', points: { gas: { kind: 'constant', value: 12.3 }, sensorLife: { kind: 'constant', value: 88 } } },
        { unitId: 2, profileId: 'generic-pond-radar-level', points: { waterLevel: { kind: 'constant', value: 245.5 } } },
        { unitId: 3, profileId: 'generic-piezometer', points: { phreaticDepth: { kind: 'constant', value: 12.25 }, temperature: { kind: 'constant', value: -3.5 } } },
        { unitId: 7, profileId: 'test-all-tables', profile: allTablesProfile(), points: { temp: { kind: 'constant', value: 21.7 }, door: { kind: 'constant', value: 1 } } },
      ],
    });
    client = await tcpClient(sim.port, 1);
  });
  after(async () => {
    await closeClient(client);
    await sim.stop();
  });

  void test('holding registers carry the profile encoding (int16 × 0.1, bit-in-register, uint16)', async () => {
    client.setID(1);
    sim.setValue(1, 'relay1', true);
    const r = await client.readHoldingRegisters(0, 4);
    assert.deepEqual(r.data, [123, 0, 0b01, 88]);
    sim.setValue(1, 'relay2', true);
    assert.deepEqual((await client.readHoldingRegisters(2, 1)).data, [0b11], 'bit points sharing a register are OR-ed');
  });

  void test('float32 ABCD and CDAB word orders', async () => {
    client.setID(2);
    const pond = await client.readInputRegisters(0, 2);
    assert.equal(float32(pond.data[0] ?? 0, pond.data[1] ?? 0), 245.5);
    client.setID(3);
    const piezo = await client.readHoldingRegisters(0, 8);
    assert.equal(float32(piezo.data[1] ?? 0, piezo.data[0] ?? 0), 12.25, 'CDAB: low word first');
    assert.equal(piezo.data[6], 0x10000 - 35, 'int16 -3.5 °C at scale 0.1');
  });

  void test('the profile library decodes what the simulator serves (round trip through a real socket)', async () => {
    client.setID(1);
    sim.setValue(1, 'gas', 47.5);
    const regs = await client.readHoldingRegisters(0, 24);
    const profile = getProfile('generic-catalytic-lel');
    const decoded = decodeModbusPoints(profile, [{ table: 'holding', start: 0, values: regs.data }]);
    const gas = decoded.find((d) => d.pointId === 'gas');
    assert.equal(gas?.value, 47.5);
    assert.equal(gas?.quality, 'good');
  });

  void test('curves drive values and setCurve replaces a fixed value', async () => {
    client.setID(1);
    sim.setValue(1, 'gas', 5);
    assert.equal((await client.readHoldingRegisters(0, 1)).data[0], 50);
    sim.setCurve(1, 'gas', { kind: 'constant', value: 33.3 });
    assert.equal((await client.readHoldingRegisters(0, 1)).data[0], 333);
  });

  void test('coils and discrete inputs (FC 1, 2), input registers (FC 4)', async () => {
    client.setID(7);
    assert.deepEqual((await client.readDiscreteInputs(0, 3)).data.slice(0, 3), [true, false, false]);
    sim.setValue(7, 'flood', true);
    assert.deepEqual((await client.readDiscreteInputs(0, 3)).data.slice(0, 3), [true, false, true]);
    assert.deepEqual((await client.readCoils(0, 2)).data.slice(0, 2), [false, false]);
    assert.equal((await client.readInputRegisters(0, 1)).data[0], 217);
  });

  void test('writes (FC 5, 6, 15, 16) are read back', async () => {
    client.setID(7);
    await client.writeCoil(1, true);
    assert.deepEqual((await client.readCoils(0, 2)).data.slice(0, 2), [false, true]);
    await client.writeCoils(0, [true, false]);
    assert.deepEqual((await client.readCoils(0, 2)).data.slice(0, 2), [true, false]);
    await client.writeRegister(0, 42);
    assert.equal((await client.readHoldingRegisters(0, 1)).data[0], 42);
    await client.writeRegisters(1, [0x1234, 0x5678]);
    assert.deepEqual((await client.readHoldingRegisters(0, 3)).data, [42, 0x1234, 0x5678]);
  });

  void test('exception 0x02 for an address outside the map, 0x03 for a bad quantity, 0x01 for an unknown function', async () => {
    client.setID(1);
    assert.equal((await rejection(client.readHoldingRegisters(20, 10))).modbusCode, 2);
    assert.equal((await rejection(client.readInputRegisters(0, 1))).modbusCode, 2, 'the detector has no input registers');
    const raw = await rawConnection(sim.port);
    try {
      raw.send(mbap(0x0101, 1, [0x03, 0x00, 0x00, 0x00, 126]));
      raw.send(mbap(0x0102, 1, [0x2b, 0x0e, 0x01, 0x00]));
      raw.send(mbap(0x0103, 1, [0x06, 0x00, 0x00]));
      const got = await raw.waitFor(27);
      assert.deepEqual([...got], [
        ...[0x01, 0x01, 0, 0, 0, 3, 1, 0x83, 0x03],
        ...[0x01, 0x02, 0, 0, 0, 3, 1, 0xab, 0x01],
        ...[0x01, 0x03, 0, 0, 0, 3, 1, 0x86, 0x03],
      ]);
    } finally {
      raw.close();
    }
  });

  void test('exception 0x04 (and any other code) through the exception fault', async () => {
    client.setID(1);
    sim.setFault(1, { kind: 'exception', code: 4 });
    try {
      assert.equal((await rejection(client.readHoldingRegisters(0, 1))).modbusCode, 4);
      sim.setFault(1, { kind: 'exception', code: 6 });
      assert.equal((await rejection(client.readHoldingRegisters(0, 1))).modbusCode, 6);
    } finally {
      sim.setFault(1, null);
    }
    assert.equal((await client.readHoldingRegisters(0, 1)).data.length, 1);
  });

  void test('pipelined requests for several units on one connection come back in order with their transaction ids', async () => {
    const raw = await rawConnection(sim.port);
    try {
      raw.send(Buffer.concat([mbap(10, 1, [0x03, 0, 0, 0, 1]), mbap(11, 2, [0x04, 0, 4, 0, 1]), mbap(12, 7, [0x04, 0, 0, 0, 1])]));
      const got = await raw.waitFor(33);
      assert.equal(got.length, 33);
      assert.deepEqual([got.readUInt16BE(0), got[6], got.readUInt16BE(11), got[17], got.readUInt16BE(22), got[28]], [10, 1, 11, 2, 12, 7]);
      assert.equal(got.readUInt16BE(31), 217);
    } finally {
      raw.close();
    }
  });

  void test('an unknown unit id gets no answer (the client times out) and a malformed MBAP header closes the connection', async () => {
    const other = await tcpClient(sim.port, 99, 200);
    try {
      const err = await rejection(other.readHoldingRegisters(0, 1));
      assert.match(err.message, /timed out/i);
    } finally {
      await closeClient(other);
    }
    const raw = await rawConnection(sim.port);
    raw.send([0, 1, 0, 7, 0, 6, 1, 3, 0, 0, 0, 1]);
    await raw.waitFor(1, 500);
    assert.equal(raw.closed(), true, 'protocol id 7 is not Modbus');
  });

  void test('requestCount counts per unit and in total', async () => {
    const before = sim.requestCount(3);
    const total = sim.requestCount();
    client.setID(3);
    await client.readHoldingRegisters(0, 2);
    await client.readHoldingRegisters(0, 2);
    assert.equal(sim.requestCount(3), before + 2);
    assert.equal(sim.requestCount(), total + 2);
  });

  void test('unknown points, units and duplicate unit ids are refused with a clear error', async () => {
    assert.throws(() => sim.setValue(1, 'nope', 1), /no Modbus point "nope"/);
    assert.throws(() => sim.setFault(42, null), /no simulated device with unit id 42/);
    await assert.rejects(
      startModbusTcpSimulator({ devices: [{ unitId: 1, profileId: 'generic-h2s-ec' }, { unitId: 1, profileId: 'generic-h2s-ec' }] }),
      /unit id 1 is used twice/,
    );
    await assert.rejects(startModbusTcpSimulator({ devices: [{ unitId: 1, profileId: 'generic-tank-gauging-opcua' }] }), /profile for opcua/);
    await assert.rejects(startModbusTcpSimulator({ devices: [{ unitId: 1, profileId: 'no-such-profile' }] }), /no-such-profile/);
  });

  void test('a port in use is an error, not a hang', async () => {
    await assert.rejects(startModbusTcpSimulator({ port: sim.port, devices: [{ unitId: 1, profileId: 'generic-h2s-ec' }] }), /EADDRINUSE/);
  });
});
