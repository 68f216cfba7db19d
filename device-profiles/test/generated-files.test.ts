/** Generated files are committed; regenerating them must give exactly what is in the tree. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { JSON_SCHEMA_FILE, profileJsonSchemaText } from '../src/generate-json-schema.ts';

void test('schema/profile.schema.json matches DeviceProfileSchema (run src/generate-json-schema.ts)', () => {
  assert.equal(readFileSync(JSON_SCHEMA_FILE, 'utf8'), profileJsonSchemaText());
});

void test('the JSON Schema accepts a minimal profile shape and knows both protocols', () => {
  const doc = JSON.parse(readFileSync(JSON_SCHEMA_FILE, 'utf8')) as { oneOf?: { properties: { protocol: { const: string } } }[] };
  assert.deepEqual(doc.oneOf?.map((s) => s.properties.protocol.const), ['modbus', 'opcua']);
});
