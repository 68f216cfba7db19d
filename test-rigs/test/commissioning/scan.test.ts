/**
 * The scanner's decisions, with scripted probes (what counts as present, FC4 fallback, gateway
 * "no target" exceptions, early stop, abort) and against the real Modbus TCP simulator (a slow
 * device that answers after the probe timeout is caught from its late reply and confirmed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lineSettings, scanSerialLine, scanTcpGateway, formatScanResult, type ModbusProbe, type ProbeOutcome } from '@safeloop/gateway/commissioning/index';
import { startModbusTcpSimulator } from '@safeloop/test-rigs/modbus/index';

type Behaviour = { fc3: 'data' | number; fc4?: 'data' | number; id?: 'refuse' | 'silent' };

/** A probe that answers from a script; `requests` records what was asked. */
function scriptedProbe(units: Record<number, Behaviour>, requests: string[]): ModbusProbe {
  return {
    description: 'scripted',
    request(unitId, pdu): Promise<ProbeOutcome> {
      const fc = pdu[0] ?? 0;
      requests.push(`${unitId}:${fc}`);
      const b = units[unitId];
      const reply = (bytes: number[]): Promise<ProbeOutcome> => Promise.resolve({ kind: 'reply', pdu: Buffer.from(bytes), ms: 1 });
      if (!b) return Promise.resolve({ kind: 'timeout' });
      if (fc === 3 || fc === 4) {
        const how = fc === 3 ? b.fc3 : (b.fc4 ?? 2);
        return how === 'data' ? reply([fc, 2, 0x12, 0x34]) : reply([fc | 0x80, how]);
      }
      if (b.id === 'silent') return Promise.resolve({ kind: 'timeout' });
      return reply([0xab, 0x01]);
    },
    takeStrays: () => [],
    close: () => Promise.resolve(),
  };
}

void test('present on data or any exception; FC4 tried when FC3 is an illegal function; 43/14 refusal recorded', async () => {
  const requests: string[] = [];
  const r = await scanTcpGateway({
    host: 'x', port: 1, units: [1, 2, 3, 4, 5], timeoutMs: 10,
    openProbe: () => Promise.resolve(scriptedProbe({ 1: { fc3: 'data' }, 2: { fc3: 2 }, 3: { fc3: 1, fc4: 'data' }, 5: { fc3: 'data', id: 'silent' } }, requests)),
  });
  assert.deepEqual(r.found.map((d) => d.unitId), [1, 2, 3, 5]);
  assert.equal(r.found[1]?.answeredBy[0]?.text, 'FC3 holding 0: exception 0x02 illegal data address');
  assert.deepEqual(r.found[2]?.answeredBy.map((a) => a.text), ['FC3 holding 0: exception 0x01 illegal function', 'FC4 input 0: data 0x1234']);
  assert.equal(r.found[0]?.identificationSupport, 'no');
  assert.equal(r.found[3]?.identificationSupport, 'silent');
  assert.ok(!requests.includes('4:43'), 'no identification request to a unit that did not answer');
  assert.match(formatScanResult(r), /no 43\/14 \(no answer\)/);
});

void test('behind a TCP gateway, exceptions 0x0A/0x0B mean nobody is there', async () => {
  const r = await scanTcpGateway({
    host: 'x', port: 1, units: [1, 2, 3], timeoutMs: 10,
    openProbe: () => Promise.resolve(scriptedProbe({ 1: { fc3: 0x0b }, 2: { fc3: 0x0a }, 3: { fc3: 4 } }, [])),
  });
  assert.deepEqual(r.found.map((d) => d.unitId), [3]);
});

void test('serial: a unit found is not tried at later settings; the scan stops when every unit has answered', async () => {
  const opened: string[] = [];
  const requests: string[] = [];
  const r = await scanSerialLine({
    path: '/dev/null',
    plan: { settings: lineSettings([9600, 19200, 38400], ['none']), units: [1, 2], timeoutMs: 10 },
    openProbe: (_p, s) => {
      opened.push(String(s.baudRate));
      // Unit 1 answers at 9600, unit 2 at 19200.
      return Promise.resolve(scriptedProbe(s.baudRate === 9600 ? { 1: { fc3: 'data' } } : s.baudRate === 19200 ? { 2: { fc3: 'data' } } : {}, requests));
    },
  });
  assert.deepEqual(opened, ['9600', '19200'], '38400 never opened: nothing left to find');
  assert.deepEqual(r.found.map((d) => `${d.unitId}@${d.line?.baudRate}`), ['1@9600', '2@19200']);
  assert.deepEqual(requests.filter((q) => q.endsWith(':3')), ['1:3', '2:3', '2:3'], 'unit 1 not probed again at 19200');
  assert.deepEqual(r.workingSettings.map((s) => s.baudRate), [9600, 19200]);
});

void test('an aborted scan returns what it found so far', async () => {
  const abort = new AbortController();
  const r = await scanTcpGateway({
    host: 'x', port: 1, units: [1, 2, 3, 4], timeoutMs: 10, signal: abort.signal,
    onFound: () => abort.abort(),
    openProbe: () => Promise.resolve(scriptedProbe({ 2: { fc3: 'data' }, 4: { fc3: 'data' } }, [])),
  });
  assert.equal(r.aborted, true);
  assert.deepEqual(r.found.map((d) => d.unitId), [2]);
});

void test('a slow device answering after the probe timeout is caught from its late reply and confirmed', async () => {
  const sim = await startModbusTcpSimulator({ host: '127.0.0.1', devices: [{ unitId: 2, profileId: 'generic-co-ec', faults: [{ kind: 'slow', ms: 120 }] }, { unitId: 6, profileId: 'generic-co-ec' }] });
  try {
    const r = await scanTcpGateway({ host: '127.0.0.1', port: sim.port, units: [1, 2, 3, 4, 5, 6], timeoutMs: 50 });
    assert.deepEqual(r.found.map((d) => [d.unitId, d.slow === true]), [[2, true], [6, false]]);
    assert.match(formatScanResult(r), /answered late: raise --timeout/);
  } finally {
    await sim.stop();
  }
});

void test('the last unit of the range answering late is still caught', async () => {
  const sim = await startModbusTcpSimulator({ host: '127.0.0.1', devices: [{ unitId: 4, profileId: 'generic-co-ec', faults: [{ kind: 'slow', ms: 70 }] }] });
  try {
    const r = await scanTcpGateway({ host: '127.0.0.1', port: sim.port, units: [1, 2, 3, 4], timeoutMs: 50 });
    assert.deepEqual(r.found.map((d) => [d.unitId, d.slow === true]), [[4, true]]);
  } finally {
    await sim.stop();
  }
});
