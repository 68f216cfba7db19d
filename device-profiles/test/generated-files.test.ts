/** Generated files are committed; regenerating them must give exactly what is in the tree. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { JSON_SCHEMA_FILE, profileJsonSchemaText } from '../src/generate-json-schema.ts';
import { PROFILE_INDEX_FILE, profileIndexSource } from '../src/generate-profile-index.ts';

void test('schema/profile.schema.json matches DeviceProfileSchema (run src/generate-json-schema.ts)', () => {
  assert.equal(readFileSync(JSON_SCHEMA_FILE, 'utf8'), profileJsonSchemaText());
});

void test('profiles/index.ts lists every profile file (run src/generate-profile-index.ts)', () => {
  assert.equal(readFileSync(PROFILE_INDEX_FILE, 'utf8'), profileIndexSource());
});

void test('the JSON Schema accepts a minimal profile shape and knows both protocols', () => {
  const doc = JSON.parse(readFileSync(JSON_SCHEMA_FILE, 'utf8')) as { oneOf?: { properties: { protocol: { const: string } } }[] };
  assert.deepEqual(doc.oneOf?.map((s) => s.properties.protocol.const), ['modbus', 'opcua']);
});

void test('profileIndexSource ignores index.ts, tests and non-TypeScript files', () => {
  const src = profileIndexSource(['b-two.ts', 'index.ts', 'a-one.ts', 'README.md', 'a-one.test.ts']);
  assert.match(src, /import aOne from '\.\/a-one\.ts';\nimport bTwo from '\.\/b-two\.ts';/);
  assert.doesNotMatch(src, /from '\.\/(index|README|a-one\.test)/);
});
