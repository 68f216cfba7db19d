import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatReadTable } from '../../src/field/index.ts';

void test('formatReadTable prints point, value, unit, quality with reason, and raw registers in hex', () => {
  const text = formatReadTable([
    { pointId: 'gas', value: 12.3, unit: '%LEL', quality: 'good', raw: [123], exceeded: [] },
    { pointId: 'sensorLife', value: null, unit: '%', quality: 'bad', reason: 'timeout', detail: 'no reply from unit 3 within 500 ms', raw: [], exceeded: [] },
  ]);
  const lines = text.split('\n');
  assert.match(lines[0] ?? '', /^point\s+value\s+unit\s+quality\s+raw$/);
  assert.match(lines[2] ?? '', /^gas\s+12\.3\s+%LEL\s+good\s+0x007B$/);
  assert.match(lines[3] ?? '', /^sensorLife\s+—\s+%\s+bad \(timeout: no reply from unit 3 within 500 ms\)$/);
});
