/** Profile files from disk: loadProfileFile and validateProfileFiles name the file and the path. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '@safeloop/contract';
import { decodeModbusPoints } from '../src/modbus-decode.ts';
import { LIBRARY_DIR } from '../src/catalog.ts';
import { loadProfileFile, validateLibraryProfiles, validateProfileFiles } from '../src/profile-files.ts';

const dir = mkdtempSync(join(tmpdir(), 'safeloop-profiles-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const EXAMPLE = fileURLToPath(new URL('../examples/site-lel-detector.yaml', import.meta.url));

const good = {
  id: 'tmp-good',
  name: { zh: '好', en: 'Good' },
  sector: 'general',
  protocol: 'modbus',
  points: [
    { id: 'a', name: { zh: 'a', en: 'a' }, table: 'holding', address: 0, type: 'uint16', unit: 'm', range: { min: 0, max: 10 }, limits: [{ level: 'H', direction: 'high', value: 8 }] },
    { id: 'b', name: { zh: 'b', en: 'b' }, table: 'holding', address: 1, type: 'bit', bit: 3 },
  ],
};
type Mutable = Record<string, unknown> & { points: Record<string, unknown>[] };
function write(name: string, mutate?: (p: Mutable) => void, text?: string): string {
  const p = structuredClone(good) as unknown as Mutable;
  mutate?.(p);
  const file = join(dir, name);
  writeFileSync(file, text ?? JSON.stringify(p, null, 2));
  return file;
}
function problemsOf(file: string): { path: string; message: string }[] {
  const [result] = validateProfileFiles([file]);
  assert.equal(result?.file, file);
  return result?.problems ?? [];
}

void describe('loadProfileFile', () => {
  void test('loads the YAML example, fills defaults and decodes with it', () => {
    const p = loadProfileFile(EXAMPLE);
    assert.equal(p.id, 'site-lel-detector');
    assert.equal(p.protocol === 'modbus' && p.points[0]?.scale, 1);
    const [d] = decodeModbusPoints(p, [{ table: 'input', start: 0, values: [0x0000, 0x41a0, 0] }]);
    assert.deepEqual([d?.value, d?.quality, d?.exceeded], [20, 'good', ['GAS_1']]);
  });

  void test('loads JSON, also with a $schema key for editors', () => {
    assert.equal(loadProfileFile(write('good.json')).id, 'tmp-good');
    assert.equal(loadProfileFile(write('schema.json', (p) => (p['$schema'] = '../schema/profile.schema.json'))).id, 'tmp-good');
  });

  void test('throws ConfigError naming the file and every path', () => {
    const file = write('bad.json', (p) => {
      p.points[0] = { ...p.points[0], unit: 'furlong' };
      p['sector'] = 'space';
    });
    assert.throws(
      () => loadProfileFile(file),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.code, 'CONFIG_INVALID');
        assert.match(err.message, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: sector: `));
        return true;
      },
    );
    // semantic problems surface only once the structure is valid
    const unit = write('unit.json', (p) => {
      p.points[0] = { ...p.points[0], unit: 'furlong' };
    });
    assert.throws(() => loadProfileFile(unit), /unit\.json: points\.0\.unit: unknown unit "furlong" \(known: %LEL/);
  });

  void test('a missing file is a ConfigError on (file)', () => {
    assert.throws(() => loadProfileFile(join(dir, 'nope.yaml')), /nope\.yaml: \(file\): ENOENT/);
  });
});

void describe('validateProfileFiles', () => {
  const cases: [string, (p: Mutable) => void, string, RegExp][] = [
    ['overlap.json', (p) => p.points.push({ id: 'c', name: { zh: 'c', en: 'c' }, table: 'holding', address: 0, type: 'float32', unit: 'm', range: { min: 0, max: 1 } }), 'points.2.address', /overlaps points\.0/],
    ['same-bit.json', (p) => p.points.push({ id: 'c', name: { zh: 'c', en: 'c' }, table: 'holding', address: 1, type: 'bit', bit: 3 }), 'points.2.address', /same bit 3/],
    ['limit.json', (p) => ((p.points[0] as { limits: unknown[] }).limits = [{ level: 'HH', direction: 'high', value: 11 }]), 'points.0.limits.0.value', /outside the measuring range 0\.\.10/],
    ['direction.json', (p) => ((p.points[0] as { limits: unknown[] }).limits = [{ level: 'L', direction: 'high', value: 1 }]), 'points.0.limits.0.direction', /L is a low limit/],
    ['order.json', (p) => ((p.points[0] as { limits: unknown[] }).limits = [{ level: 'H', direction: 'high', value: 9 }, { level: 'HH', direction: 'high', value: 8 }]), 'points.0.limits', /H must be below HH/],
    ['bit.json', (p) => delete p.points[1]?.['bit'], 'points.1.bit', /type bit needs bit/],
    ['bit-range.json', (p) => ((p.points[1] as { bit: number }).bit = 16), 'points.1.bit', /16|<=15|too big/i],
    ['length.json', (p) => ((p.points[0] as { type: string }).type = 'string'), 'points.0.length', /type string needs length/],
    ['dup.json', (p) => ((p.points[1] as { id: string }).id = 'a'), 'points.1.id', /duplicate point id "a"/],
    ['typo.json', (p) => ((p.points[0] as Record<string, unknown>)['adress'] = 3), 'points.0', /adress/],
    ['range.json', (p) => ((p.points[0] as { range: unknown }).range = { min: 5, max: 5 }), 'points.0.range', /must be below max/],
    ['no-range.json', (p) => delete p.points[0]?.['range'], 'points.0.range', /needs a measuring range/],
    ['coil-type.json', (p) => ((p.points[0] as { table: string }).table = 'coil'), 'points.0.type', /single bit/],
    ['ro-write.json', (p) => ((p.points[0] as Record<string, unknown>)['writable'] = true) && ((p.points[0] as { table: string }).table = 'input'), 'points.0.writable', /read-only/],
    ['status.json', (p) => (p['status'] = [{ id: 's', table: 'holding', address: 5, codes: [{ value: 0, state: 'normal' }], appliesTo: ['zz'] }]), 'status.0.appliesTo.0', /no point "zz"/],
    ['status-empty.json', (p) => (p['status'] = [{ id: 's', table: 'holding', address: 5, appliesTo: ['a'] }]), 'status.0', /needs codes or bits/],
    ['protocol.json', (p) => (p['protocol'] = 'bacnet'), 'protocol', /./],
    ['scale.json', (p) => ((p.points[0] as { scale: number }).scale = 0), 'points.0.scale', /must not be 0/],
    ['past-end.json', (p) => ((p.points[0] as { address: number }).address = 65535) && ((p.points[0] as { type: string }).type = 'uint32'), 'points.0.address', /run past 65535/],
  ];
  for (const [name, mutate, path, message] of cases) {
    void test(`${name}: reports ${path}`, () => {
      const problems = problemsOf(write(name, mutate));
      assert.ok(
        problems.some((p) => p.path === path && message.test(p.message)),
        `expected ${path} ~ ${message}, got ${JSON.stringify(problems)}`,
      );
    });
  }

  void test('an id taken by a library profile is a problem', () => {
    assert.deepEqual(problemsOf(write('lib.json', (p) => (p['id'] = 'generic-h2s-ec'))), [{ path: 'id', message: `profile id "generic-h2s-ec" is a library profile id (${join(LIBRARY_DIR, 'generic-h2s-ec.yaml')}); choose another` }]);
  });

  void test('a TypeScript file is refused with a hint, not parsed as YAML', () => {
    assert.match(problemsOf(write('x.ts', undefined, 'export default {}'))[0]?.message ?? '', /YAML or JSON/);
  });

  void test('validateLibraryProfiles: every library profile is valid', () => {
    const results = validateLibraryProfiles();
    assert.ok(results.length >= 15);
    assert.deepEqual(results.filter((r) => r.problems.length > 0), []);
    assert.ok(results.some((r) => r.file === join(LIBRARY_DIR, 'generic-h2s-ec.yaml')));
  });

  void test('a YAML syntax error names the line', () => {
    const problems = problemsOf(write('syntax.yaml', undefined, 'id: x\npoints: [\n  - a: 1\n'));
    assert.equal(problems.length, 1);
    assert.match(problems[0]?.path ?? '', /^line \d+ column \d+$/);
  });

  void test('valid files have no problems; every file gets an entry in order; repeated ids are reported', () => {
    const a = write('a.json');
    const b = write('b.json');
    const c = write('c.json', (p) => (p['id'] = 'tmp-other'));
    const result = validateProfileFiles([a, EXAMPLE, b, c]);
    assert.deepEqual(result.map((r) => r.file), [a, EXAMPLE, b, c]);
    assert.deepEqual(result[0]?.problems, []);
    assert.deepEqual(result[1]?.problems, []);
    assert.deepEqual(result[2]?.problems, [{ path: 'id', message: `profile id "tmp-good" is also used by ${a}` }]);
    assert.deepEqual(result[3]?.problems, []);
  });
});
