import type { Command } from 'commander';
import { loadConfigFile } from '@safeloop/contract';
import { GatewayConfigSchema } from '@safeloop/gateway/config';
import { createLogger } from '../logger.ts';
import { onShutdown } from '../shutdown.ts';

export function registerGatewayCommand(program: Command): void {
  program
    .command('gateway')
    .description('Run the edge gateway: poll devices and bridges, evaluate edge alarms, journal to SQLite, forward to the cloud')
    .requiredOption('-c, --config <file>', 'gateway YAML config (see docs/configuration.md)')
    .option('--log-level <level>', 'debug | info | warn | error', 'info')
    .option('--check', 'validate the config and exit')
    .addHelpText(
      'after',
      '\nExample:\n  safeloop gateway --config examples/gateway.yaml\n\nReadings and alarms are committed to the journal before they are sent; they are released only\nwhen the cloud acknowledges that it stored them. Ctrl-C stops cleanly, losing nothing journaled.',
    )
    .action(async (opts: { config: string; logLevel: string; check?: boolean }) => {
      const config = loadConfigFile(opts.config, GatewayConfigSchema);
      if (opts.check) {
        process.stdout.write(`${opts.config}: valid (${config.devices.length} devices, ${config.bridges.length} bridges)\n`);
        return;
      }
      const logger = createLogger({ level: opts.logLevel, name: 'safeloop-gateway' });
      const { GatewayAgent } = await import('@safeloop/gateway');
      const agent = await GatewayAgent.start({ config, logger });
      onShutdown(() => agent.stop());
    });
}
