/**
 * The local siren on a real gateway agent against the rig's Modbus TCP simulator (a catalytic gas
 * detector and a 声光报警器 I/O module on one port), with the uplink down the whole time: a gas
 * alarm sets the horn coil before the detector's next poll; the local acknowledge button silences
 * it; a restart while sounding re-asserts the coil (even after the module lost it), and a restart
 * after silencing stays silent although the edge evaluator raises the still-active alarm again.
 * Every action is journaled as a system event for the cloud.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { silentLogger } from '@safeloop/contract';
import { freePort, startModbusTcpSimulator } from '@safeloop/test-rigs';
import { GatewayAgent } from '../../src/agent.ts';
import { GatewayConfigSchema } from '../../src/config.ts';

async function until(what: string, cond: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('gas alarm with the uplink down: horn on within one poll, local button silences, restarts keep the state', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'safeloop-siren-'));
  const sim = await startModbusTcpSimulator({ port: 0, devices: [{ unitId: 1, profileId: 'generic-catalytic-lel' }, { unitId: 2, profileId: 'generic-alarm-io' }] });
  sim.setValue(1, 'gas', 3);
  const deadBroker = await freePort(); // nothing listens: the uplink never connects
  const gas = sim.device(1);
  const io = sim.device(2);
  const coil = (): number | undefined => {
    const r = io.read('coil', 0, 1);
    return r.ok ? r.values[0] : undefined;
  };
  // Each poll of the detector reads its value register at address 0: note the horn coil at that moment.
  const pollsSeen: number[] = [];
  let watching = false;
  const read = gas.read.bind(gas);
  gas.read = (table, address, count) => {
    if (watching && table === 'holding' && address === 0) pollsSeen.push(coil() ?? -1);
    return read(table, address, count);
  };
  const config = GatewayConfigSchema.parse({
    gateway: { id: 'gw-demo-01', siteId: 'tank-farm' },
    journal: { path: join(dir, 'journal.db') },
    uplink: { transport: 'mqtt', url: `mqtt://127.0.0.1:${deadBroker}`, protocolVersion: 4, allowInsecure: true, delivery: { reconnectMinMs: 200, reconnectMaxMs: 500 } },
    devices: [
      { id: 'gas-01', profile: 'generic-catalytic-lel', transport: { kind: 'modbus-tcp', host: '127.0.0.1', port: sim.port, unitId: 1, timeoutMs: 500 }, pollIntervalMs: 200 },
      {
        id: 'siren-io',
        profile: 'generic-alarm-io',
        transport: { kind: 'modbus-tcp', host: '127.0.0.1', port: sim.port, unitId: 2, timeoutMs: 500 },
        pollIntervalMs: 200,
        writeAllow: [{ unitId: 2, table: 'coil', from: 0, to: 1, min: 0, max: 1, maxPerMinute: 60 }],
      },
    ],
    siren: { outputs: [{ id: 'horn', device: 'siren-io', address: 0, levels: ['GAS_1', 'GAS_2'] }], acknowledgeInput: { point: 'tank-farm/siren-io/ackButton' } },
  });
  let agent: GatewayAgent | undefined;
  try {
    agent = await GatewayAgent.start({ config, logger: silentLogger });
    await until('the horn driven off at start', () => coil() === 0 && agent?.readingsAccepted !== undefined && agent.readingsAccepted > 4);

    // 1. the leak, uplink down
    watching = true;
    sim.setValue(1, 'gas', 30);
    await until('two detector polls after the crossing', () => pollsSeen.length >= 2);
    watching = false;
    assert.equal(pollsSeen[1], 1, `the horn was on by the detector's next poll (coil at each poll: ${pollsSeen.join(',')})`);

    // 2. the local acknowledge button silences it
    sim.setValue(2, 'ackButton', true);
    await until('silenced by the button', () => coil() === 0);
    sim.setValue(2, 'ackButton', false);

    // 3. the leak clears and comes back: a new alarm sounds again; restart while sounding
    sim.setValue(1, 'gas', 3);
    await new Promise((r) => setTimeout(r, 600));
    sim.setValue(1, 'gas', 35);
    await until('sounding again for the new alarm', () => coil() === 1);
    await agent.stop();
    agent = undefined;
    io.write('coil', 0, [0]); // the I/O module lost its output while the gateway was down
    assert.equal(coil(), 0);
    agent = await GatewayAgent.start({ config, logger: silentLogger });
    await until('the restarted gateway re-asserts the horn', () => coil() === 1);
    const seen = agent.readingsAccepted;
    await until('the button read released after the restart (a held button is not a press)', () => (agent?.readingsAccepted ?? 0) > seen + 8);

    // 4. silenced, then restarted with the gas still high: the re-raised alarm does not sound again
    sim.setValue(2, 'ackButton', true);
    await until('silenced', () => coil() === 0);
    sim.setValue(2, 'ackButton', false);
    await agent.stop();
    agent = await GatewayAgent.start({ config, logger: silentLogger });
    pollsSeen.length = 0;
    watching = true;
    await until('eight detector polls after the restart', () => pollsSeen.length >= 8);
    watching = false;
    assert.deepEqual([...new Set(pollsSeen)], [0], 'stays silent');
    await agent.stop();
    agent = undefined;

    const db = new Database(join(dir, 'journal.db'), { readonly: true });
    try {
      const rows = db.prepare("SELECT body FROM alarm_events ORDER BY seq").all() as { body: string }[];
      const codes = rows.map((r) => (JSON.parse(r.body) as { type: string; code?: string; kind?: string }).code ?? 'alarm');
      for (const c of ['GW_SIREN_SOUNDING', 'GW_SIREN_OUTPUT', 'GW_SIREN_SILENCED']) assert.ok(codes.includes(c), `${c} journaled (${codes.join(' ')})`);
      assert.ok(codes.includes('alarm'), 'the edge alarm itself is journaled for the cloud');
    } finally {
      db.close();
    }
  } finally {
    await agent?.stop();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a detector that stops answering sounds a fault output (the evaluator fault alarm), not the gas output', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'safeloop-siren-fault-'));
  const sim = await startModbusTcpSimulator({ port: 0, devices: [{ unitId: 1, profileId: 'generic-catalytic-lel' }, { unitId: 2, profileId: 'generic-alarm-io' }] });
  sim.setValue(1, 'gas', 3);
  const coil = (n: number): number | undefined => {
    const r = sim.device(2).read('coil', n, 1);
    return r.ok ? r.values[0] : undefined;
  };
  let agent: GatewayAgent | undefined;
  try {
    agent = await GatewayAgent.start({
      config: GatewayConfigSchema.parse({
        gateway: { id: 'gw-fault', siteId: 'tank-farm' },
        journal: { path: join(dir, 'journal.db') },
        uplink: { transport: 'mqtt', url: `mqtt://127.0.0.1:${await freePort()}`, protocolVersion: 4, allowInsecure: true },
        devices: [
          { id: 'gas-01', profile: 'generic-catalytic-lel', transport: { kind: 'modbus-tcp', host: '127.0.0.1', port: sim.port, unitId: 1, timeoutMs: 200 }, pollIntervalMs: 200 },
          { id: 'siren-io', profile: 'generic-alarm-io', transport: { kind: 'modbus-tcp', host: '127.0.0.1', port: sim.port, unitId: 2, timeoutMs: 200 }, pollIntervalMs: 200, writeAllow: [{ unitId: 2, table: 'coil', from: 0, to: 1, maxPerMinute: 60 }] },
        ],
        siren: {
          outputs: [
            { id: 'horn', device: 'siren-io', address: 0, levels: ['GAS_1', 'GAS_2'] },
            { id: 'fault-lamp', device: 'siren-io', address: 1, faults: true, points: ['tank-farm/gas-01'] },
          ],
        },
      }),
      logger: silentLogger,
    });
    await until('both outputs driven off', () => coil(0) === 0 && coil(1) === 0);
    sim.setFault(1, { kind: 'silent' });
    await until('the fault lamp on when the detector goes silent', () => coil(1) === 1);
    assert.equal(coil(0), 0, 'no gas alarm from a silent detector');
  } finally {
    await agent?.stop();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
