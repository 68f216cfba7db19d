/**
 * Property tests over the HJ 212 parser: random and mutated byte streams never throw out of the
 * scanner, the frame parser or the data mapper, and a frame that fails an independent length/CRC
 * check never parses (so it can never produce a reading).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Hj212LoggerSchema } from '../config.ts';
import { buildDataSegment, buildHj212Frame, parseHj212Frame } from './frame.ts';
import { Hj212FrameScanner } from './frame-scanner.ts';
import { mapHj212Data } from './map-data.ts';

/** Reference CRC written independently (table-driven) from DOMAIN.md §8's wording. */
const TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
  return c;
});
function referenceCrc(data: Uint8Array): number {
  let reg = 0xffff;
  for (const b of data) reg = TABLE[((reg >>> 8) ^ b) & 0xff] as number;
  return reg;
}

/** Independent acceptance check: header, CRLF, length = bytes or characters, CRC. */
function passesChecks(frame: Buffer): boolean {
  const text = frame.toString('latin1');
  if (!/^##\d{4}/.test(text) || !text.endsWith('\r\n') || frame.length < 12) return false;
  const data = frame.subarray(6, frame.length - 6);
  const declared = Number(text.slice(2, 6));
  if (declared !== data.length && declared !== data.toString('utf8').length) return false;
  const crc = text.slice(-6, -2);
  return /^[0-9A-Fa-f]{4}$/.test(crc) && Number.parseInt(crc, 16) === referenceCrc(data);
}

const logger = Hj212LoggerSchema.parse({ mn: 'FUZZ01', password: '123456', deviceId: 'd', points: [{ code: 'a21028', pointId: 'h2s', range: { min: 0, max: 100 } }, { code: 'a21026', field: 'Avg', pointId: 'so2' }] });

function consume(bytes: Uint8Array, scanner = new Hj212FrameScanner(1024)): { frames: Buffer[]; parsedOk: Buffer[] } {
  const frames: Buffer[] = [];
  const parsedOk: Buffer[] = [];
  for (const ev of scanner.push(bytes)) {
    if (ev.type !== 'frame') continue;
    frames.push(ev.bytes);
    const r = parseHj212Frame(ev.bytes);
    if (r.ok) {
      parsedOk.push(ev.bytes);
      mapHj212Data({ packet: r.packet, logger, site: 's', utcOffsetMinutes: 480, gatewayTime: Date.UTC(2026, 0, 1) });
    }
  }
  return { frames, parsedOk };
}

const validFrame = fc
  .record({
    cn: fc.constantFrom('2011', '2051', '2061', '2031', '9014', '1062'),
    flag: fc.constantFrom(4, 5, 6, 7, undefined),
    value: fc.double({ min: -1e6, max: 1e6, noNaN: true }),
    flagChar: fc.constantFrom('N', 'D', 'T', 'M', 'X', ''),
    extra: fc.string({ maxLength: 40 }),
  })
  .map(({ cn, flag, value, flagChar, extra }) =>
    buildHj212Frame(
      buildDataSegment({
        qn: '20260101080000000',
        st: '22',
        cn,
        pw: '123456',
        mn: 'FUZZ01',
        ...(flag === undefined ? {} : { flag }),
        cp: `DataTime=20260101080000;a21028-Rtd=${value},a21028-Flag=${flagChar};a21026-Avg=${extra}`,
      }),
    ),
  );

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(frame: string, muts: Mutation[]): Buffer {
  let b = Buffer.from(frame, 'utf8');
  for (const m of muts) {
    const at = b.length === 0 ? 0 : m.at % b.length;
    if (m.kind === 'flip') b[at] = (b[at] as number) ^ (1 << m.bit);
    else if (m.kind === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.len)]);
    else if (m.kind === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes), b.subarray(at)]);
    else b = b.subarray(0, at);
  }
  return b;
}

void test('reference CRC agrees with the official vector', () => {
  const seg = 'QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&';
  assert.equal(referenceCrc(Buffer.from(seg)), 0x1c80);
});

void test('random bytes never throw and never parse unless they pass the independent checks', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 6 }), (chunks) => {
      const scanner = new Hj212FrameScanner(1024);
      for (const c of chunks) {
        const { parsedOk } = consume(c, scanner);
        for (const f of parsedOk) assert.ok(passesChecks(f));
      }
      assert.ok(scanner.buffered <= 1024 + 12);
    }),
    { numRuns: 500 },
  );
});

void test('random text with frame-like structure never throws', () => {
  const frameish = fc.array(fc.constantFrom('##', '0101', '&&', 'CP=', ';', '=', 'CN=2011', '\r\n', 'MN=FUZZ01', 'PW=123456', 'a21028-Rtd=1', 'FFFF', 'x'), { maxLength: 60 });
  fc.assert(
    fc.property(frameish, (parts) => {
      const { parsedOk } = consume(Buffer.from(parts.join('')));
      for (const f of parsedOk) assert.ok(passesChecks(f));
    }),
    { numRuns: 1000 },
  );
});

void test('mutated valid frames: a frame that fails its checks never parses; intact frames always do', () => {
  fc.assert(
    fc.property(validFrame, fc.array(mutation, { minLength: 0, maxLength: 3 }), (frame, muts) => {
      const bytes = mutate(frame, muts);
      const { frames, parsedOk } = consume(bytes);
      // parsed ⇒ passed the checks (the converse does not hold: field checks reject more).
      for (const f of parsedOk) assert.ok(passesChecks(f), `frame ${JSON.stringify(f.toString('latin1').slice(0, 80))}`);
      if (muts.length === 0) assert.equal(parsedOk.length, 1);
      else if (frames.length === 1 && !passesChecks(frames[0] as Buffer)) assert.equal(parsedOk.length, 0);
    }),
    { numRuns: 2000 },
  );
});

void test('the HJ 212 CRC carries only 8 bits of state between bytes: all 65 536 two-byte variants share ≤ 256 CRCs', () => {
  // reg = (reg >> 8) ^ byte leaves at most 256 states entering each byte's shifts, so a two-byte
  // corruption slips past the CRC about 1 time in 256 (CRC-16/MODBUS would catch every one). Field,
  // time, range and password checks after the CRC must therefore stay strict.
  const seg = Buffer.from('CN=2011;CP=&&a21028-Rtd=12.5&&');
  const crcs = new Set<number>();
  for (let v = 0; v < 65_536; v += 1) {
    seg[24] = v >> 8;
    seg[25] = v & 0xff;
    crcs.add(referenceCrc(seg));
  }
  assert.ok(crcs.size <= 256, `${crcs.size} distinct CRCs`);
});
