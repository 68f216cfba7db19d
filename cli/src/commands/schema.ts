import type { Command } from 'commander';
import { z } from 'zod';
import { CloudConfigSchema } from '@safeloop/cloud/config';
import { DeviceProfileSchema } from '@safeloop/device-profiles';
import { GatewayConfigSchema } from '@safeloop/gateway/config';
import { RigConfigSchema } from '@safeloop/test-rigs/rig-config';

const SCHEMAS: Record<string, z.ZodType> = {
  gateway: GatewayConfigSchema,
  cloud: CloudConfigSchema,
  rig: RigConfigSchema,
  profile: DeviceProfileSchema,
};

export function registerSchemaCommand(program: Command): void {
  program
    .command('schema')
    .description('Print the JSON Schema of a config or profile file (for editor completion and review)')
    .argument('<kind>', `one of: ${Object.keys(SCHEMAS).join(', ')}`)
    .addHelpText('after', '\nExample (VS Code YAML completion):\n  safeloop schema gateway > gateway.schema.json\n  # then in gateway.yaml:  # yaml-language-server: $schema=./gateway.schema.json')
    .action((kind: string) => {
      const schema = SCHEMAS[kind];
      if (!schema) {
        process.stderr.write(`unknown schema "${kind}"; choose one of: ${Object.keys(SCHEMAS).join(', ')}\n`);
        process.exitCode = 2;
        return;
      }
      process.stdout.write(`${JSON.stringify(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }), null, 2)}\n`);
    });
}
