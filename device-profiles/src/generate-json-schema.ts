/**
 * Writes schema/profile.schema.json from DeviceProfileSchema (zod 4's z.toJSONSchema, input form so
 * fields with defaults are optional, as a profile author writes them). Run
 * `node --import tsx device-profiles/src/generate-json-schema.ts`; test/generated-files.test.ts
 * regenerates it and fails on any difference. Cross-field rules (unique ids, units, overlaps) are not
 * expressible in JSON Schema: `safeloop profile validate` checks them.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { DeviceProfileSchema } from './schema.ts';
import { UNITS } from './units.ts';

export const JSON_SCHEMA_FILE = fileURLToPath(new URL('../schema/profile.schema.json', import.meta.url));

/** The composition keys a file may carry (resolved by the loader before the schema checks the result). */
const COMPOSITION_PROPERTIES = {
  extends: { type: 'string', description: 'Start from this profile (an id, or a file path relative to this file) and write only what differs; points and status merge by id.' },
  removePoints: { type: 'array', items: { type: 'string' }, description: 'Point ids of the base profile this device does not have.' },
};

export function profileJsonSchemaText(): string {
  const schema = z.toJSONSchema(DeviceProfileSchema, { io: 'input', target: 'draft-2020-12' }) as { oneOf?: { properties?: Record<string, unknown>; required?: string[] }[] };
  // A file that extends another need only give id, name and protocol (the rest may come from its base).
  for (const branch of schema.oneOf ?? []) {
    branch.properties = { ...COMPOSITION_PROPERTIES, ...branch.properties };
    branch.required = ['id', 'name', 'protocol'];
  }
  const doc = {
    $id: 'https://safeloop.dev/schema/device-profile.schema.json',
    title: 'SafeLoop device profile',
    description: `A device model: register or node map, types, scaling, units (one of ${Object.keys(UNITS).join(', ')}) and default alarm limits.`,
    ...schema,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(JSON_SCHEMA_FILE, profileJsonSchemaText());
}
