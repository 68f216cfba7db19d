import type { Command } from 'commander';
import { loadConfigFile } from '@safeloop/contract';
import { RigConfigSchema } from '@safeloop/test-rigs/rig-config';
import { createLogger } from '../logger.ts';
import { onShutdown } from '../shutdown.ts';

export function registerRigCommand(program: Command): void {
  program
    .command('rig')
    .description('Run simulated field devices (Modbus TCP/RTU, OPC-UA) with scenario curves and fault injection')
    .requiredOption('-c, --config <file>', 'rig YAML config, e.g. test-rigs/plants/demo-plant.yaml')
    .option('--log-level <level>', 'debug | info | warn | error', 'info')
    .addHelpText('after', '\nExample:\n  safeloop rig --config test-rigs/plants/demo-plant.yaml')
    .action(async (opts: { config: string; logLevel: string }) => {
      const config = loadConfigFile(opts.config, RigConfigSchema);
      const logger = createLogger({ level: opts.logLevel, name: 'safeloop-rig' });
      const { startRig } = await import('@safeloop/test-rigs');
      const rig = await startRig(config, { logger });
      process.stdout.write(`rig running: ${JSON.stringify(rig.endpoints)}\n`);
      onShutdown(() => rig.stop());
    });
}
