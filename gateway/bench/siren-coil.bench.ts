/**
 * Edge threshold crossing → siren coil set (issue 14). A real GatewayAgent polls a catalytic gas
 * detector and a 声光报警器 I/O module on the rig's Modbus TCP simulator every 200 ms, uplink down.
 * Each round raises the gas above 一级 (25 %LEL), waits for the horn coil, then clears the gas and
 * silences the horn with the local acknowledge button. Two times per round: from the detector's
 * poll that returned the crossing value to the coil write arriving at the I/O module (the gateway's
 * own latency), and from the value change in the simulator (adds up to one poll interval of phase).
 *   node --import tsx gateway/bench/siren-coil.bench.ts [rounds]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@safeloop/contract';
import { freePort, startModbusTcpSimulator } from '@safeloop/test-rigs';
import { GatewayAgent } from '../src/agent.ts';
import { GatewayConfigSchema } from '../src/config.ts';

const ROUNDS = Number(process.argv[2] ?? 50);
const POLL_MS = 200;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 2));
  }
}

const dir = mkdtempSync(join(tmpdir(), 'safeloop-siren-bench-'));
const sim = await startModbusTcpSimulator({ port: 0, devices: [{ unitId: 1, profileId: 'generic-catalytic-lel' }, { unitId: 2, profileId: 'generic-alarm-io' }] });
sim.setValue(1, 'gas', 3);
const gas = sim.device(1);
const io = sim.device(2);
let crossingPollAt: number | undefined;
let armedAt: number | undefined;
let coilAt: number | undefined;
const read = gas.read.bind(gas);
gas.read = (table, address, count) => {
  if (armedAt !== undefined && crossingPollAt === undefined && table === 'holding' && address === 0) crossingPollAt = performance.now();
  return read(table, address, count);
};
const write = io.write.bind(io);
io.write = (table, address, values) => {
  if (table === 'coil' && address === 0 && values[0] === 1 && armedAt !== undefined) coilAt = performance.now();
  return write(table, address, values);
};
const agent = await GatewayAgent.start({
  config: GatewayConfigSchema.parse({
    gateway: { id: 'gw-bench', siteId: 'tank-farm' },
    journal: { path: join(dir, 'journal.db') },
    uplink: { transport: 'mqtt', url: `mqtt://127.0.0.1:${await freePort()}`, protocolVersion: 4, allowInsecure: true },
    devices: [
      { id: 'gas-01', profile: 'generic-catalytic-lel', transport: { kind: 'modbus-tcp', host: '127.0.0.1', port: sim.port, unitId: 1, timeoutMs: 500 }, pollIntervalMs: POLL_MS },
      { id: 'siren-io', profile: 'generic-alarm-io', transport: { kind: 'modbus-tcp', host: '127.0.0.1', port: sim.port, unitId: 2, timeoutMs: 500 }, pollIntervalMs: POLL_MS, writeAllow: [{ unitId: 2, table: 'coil', from: 0, to: 0, maxPerMinute: 600 }] },
    ],
    siren: { outputs: [{ id: 'horn', device: 'siren-io', address: 0, levels: ['GAS_1'] }], acknowledgeInput: { point: 'tank-farm/siren-io/ackButton' } },
  }),
  logger: silentLogger,
});
const coil = (): number | undefined => {
  const r = io.read('coil', 0, 1);
  return r.ok ? r.values[0] : undefined;
};
const fromPoll: number[] = [];
const fromChange: number[] = [];
try {
  await until(() => coil() === 0 && agent.readingsAccepted > 10);
  for (let i = 0; i < ROUNDS; i++) {
    crossingPollAt = undefined;
    coilAt = undefined;
    armedAt = performance.now();
    sim.setValue(1, 'gas', 30);
    await until(() => coilAt !== undefined);
    fromPoll.push((coilAt ?? 0) - (crossingPollAt ?? 0));
    fromChange.push((coilAt ?? 0) - armedAt);
    armedAt = undefined;
    sim.setValue(1, 'gas', 3);
    await new Promise((r) => setTimeout(r, 2 * POLL_MS + 50));
    sim.setValue(2, 'ackButton', true);
    await until(() => coil() === 0);
    sim.setValue(2, 'ackButton', false);
    await new Promise((r) => setTimeout(r, 2 * POLL_MS + 50));
  }
  process.stdout.write(
    `siren: ${ROUNDS} rounds, poll ${POLL_MS} ms; crossing poll → coil write p50 ${pct(fromPoll, 50).toFixed(1)} ms, p99 ${pct(fromPoll, 99).toFixed(1)} ms, max ${Math.max(...fromPoll).toFixed(1)} ms; ` +
      `value change → coil write p50 ${pct(fromChange, 50).toFixed(1)} ms, p99 ${pct(fromChange, 99).toFixed(1)} ms\n`,
  );
} finally {
  await agent.stop();
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
}
