/**
 * Each fault personality of the Modbus TCP simulator behaves as declared (faults.ts), seen from a
 * real client: silent, slow, shortFrame, disconnect (drop and refuse), stuck, lateReply.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startModbusTcpSimulator, type ModbusTcpSim } from '@safeloop/test-rigs/modbus/index';
import { createManualClock } from '@safeloop/test-rigs/scenario/index';
import { closeClient, mbap, rawConnection, rejection, tcpClient } from './helpers.ts';

void describe('Modbus TCP fault personalities', () => {
  const clock = createManualClock(1_000_000);
  let sim: ModbusTcpSim;

  before(async () => {
    sim = await startModbusTcpSimulator({
      clock,
      refreshMs: 0,
      devices: [
        { unitId: 1, profileId: 'generic-catalytic-lel', points: { gas: { kind: 'ramp', from: 0, to: 100, durationSec: 100 } } },
        { unitId: 2, profileId: 'generic-h2s-ec', points: { gas: { kind: 'constant', value: 4 } } },
        { unitId: 3, profileId: 'generic-h2s-ec', faults: [{ kind: 'silent' }] },
      ],
    });
  });
  beforeEach(() => {
    sim.setFault(1, null);
    sim.setFault(2, null);
  });
  after(async () => {
    await sim.stop();
  });

  void test('silent: the request times out, is counted, and the neighbour on the same connection still answers', async () => {
    const client = await tcpClient(sim.port, 3, 150);
    try {
      const before = sim.requestCount(3);
      assert.match((await rejection(client.readHoldingRegisters(0, 1))).message, /timed out/i);
      assert.equal(sim.requestCount(3), before + 1);
      client.setID(2);
      assert.deepEqual((await client.readHoldingRegisters(0, 1)).data, [40]);
      sim.setFault(3, null);
      client.setID(3);
      assert.equal((await client.readHoldingRegisters(0, 1)).data.length, 1, 'answers again once the fault is cleared');
    } finally {
      sim.setFault(3, { kind: 'silent' });
      await closeClient(client);
    }
  });

  void test('slow: the reply comes after the delay, and later replies on the connection keep their order', async () => {
    sim.setFault(1, { kind: 'slow', ms: 200 });
    const raw = await rawConnection(sim.port);
    try {
      const t0 = performance.now();
      raw.send(Buffer.concat([mbap(1, 1, [0x03, 0, 0, 0, 1]), mbap(2, 2, [0x03, 0, 0, 0, 1])]));
      const got = await raw.waitFor(22, 2000);
      const elapsed = performance.now() - t0;
      assert.ok(elapsed >= 190, `reply after ${elapsed.toFixed(0)} ms`);
      assert.equal(got.length, 22);
      assert.deepEqual([got.readUInt16BE(0), got.readUInt16BE(11)], [1, 2], 'unit 2 waited behind the slow unit 1');
    } finally {
      raw.close();
    }
  });

  void test('lateReply: the reply comes after the delay without holding back later replies', async () => {
    sim.setFault(1, { kind: 'lateReply', ms: 600 });
    const raw = await rawConnection(sim.port);
    try {
      raw.send(Buffer.concat([mbap(1, 1, [0x03, 0, 0, 0, 1]), mbap(2, 2, [0x03, 0, 0, 0, 1])]));
      const first = await raw.waitFor(11, 500);
      assert.equal(first.length, 11);
      assert.equal(first.readUInt16BE(0), 2, 'unit 2 answered first');
      const all = await raw.waitFor(22, 2000);
      assert.equal(all.readUInt16BE(11), 1, 'then the late reply to transaction 1');
    } finally {
      raw.close();
    }
  });

  void test('shortFrame: the byte count promises more data than the frame carries; the client does not get a value', async () => {
    sim.setFault(1, { kind: 'shortFrame' });
    const raw = await rawConnection(sim.port);
    try {
      raw.send(mbap(5, 1, [0x03, 0, 0, 0, 4]));
      const got = await raw.waitFor(7 + 2 + 8, 300);
      const pduLength = got.readUInt16BE(4) - 1;
      assert.equal(got.length, 7 + pduLength, 'the MBAP length matches what was sent');
      assert.equal(got[8], 8, 'byte count says 8');
      assert.ok(pduLength - 2 < 8, `but only ${pduLength - 2} data bytes follow`);
    } finally {
      raw.close();
    }
    const client = await tcpClient(sim.port, 1, 200);
    try {
      await rejection(client.readHoldingRegisters(0, 4));
    } finally {
      await closeClient(client);
    }
  });

  void test('disconnect: a request for the unit drops the connection; when every unit is disconnected new connections are refused', async () => {
    sim.setFault(1, { kind: 'disconnect' });
    const raw = await rawConnection(sim.port);
    raw.send(mbap(1, 1, [0x03, 0, 0, 0, 1]));
    await raw.waitFor(1, 500);
    assert.equal(raw.closed(), true, 'connection dropped');
    assert.equal(raw.received().length, 0);

    sim.setFault(2, { kind: 'disconnect' });
    sim.setFault(3, { kind: 'disconnect' });
    const refused = await rawConnection(sim.port);
    await refused.waitFor(1, 300);
    assert.equal(refused.closed(), true, 'closed on accept');

    sim.setFault(1, null);
    sim.setFault(2, null);
    sim.setFault(3, { kind: 'silent' });
    const client = await tcpClient(sim.port, 2);
    try {
      assert.deepEqual((await client.readHoldingRegisters(0, 1)).data, [40], 'back after the fault is cleared');
    } finally {
      await closeClient(client);
    }
  });

  void test('pause refuses connections (a rebooting device) and resume listens again on the same port with the same state', async () => {
    sim.setValue(2, 'gas', 6.5);
    await sim.pause();
    await assert.rejects(tcpClient(sim.port, 2), /ECONNREFUSED/);
    await sim.resume();
    const client = await tcpClient(sim.port, 2);
    try {
      assert.deepEqual((await client.readHoldingRegisters(0, 1)).data, [65]);
    } finally {
      await closeClient(client);
      sim.setCurve(2, 'gas', { kind: 'constant', value: 4 });
    }
  });

  void test('stuck: the value freezes while the curve moves on, and follows it again when cleared', async () => {
    const client = await tcpClient(sim.port, 1);
    try {
      clock.set(1_000_000 + 10_000);
      assert.equal((await client.readHoldingRegisters(0, 1)).data[0], 100, '10 %LEL at t=10 s');
      sim.setFault(1, { kind: 'stuck' });
      clock.set(1_000_000 + 30_000);
      assert.equal((await client.readHoldingRegisters(0, 1)).data[0], 100, 'frozen');
      sim.setFault(1, null);
      assert.equal((await client.readHoldingRegisters(0, 1)).data[0], 300, '30 %LEL at t=30 s');
    } finally {
      await closeClient(client);
    }
  });

  void test('badCrc has no meaning on TCP: the device answers normally', async () => {
    sim.setFault(2, { kind: 'badCrc' });
    const client = await tcpClient(sim.port, 2);
    try {
      assert.deepEqual((await client.readHoldingRegisters(0, 1)).data, [40]);
    } finally {
      await closeClient(client);
    }
  });

  void test('faults given at start apply, and an invalid fault is refused', () => {
    assert.equal(sim.device(3).faults[0]?.kind, 'silent');
    assert.throws(() => sim.setFault(2, { kind: 'slow', ms: -1 }));
  });
});
