import type { Command } from 'commander';
import { dirname, resolve } from 'node:path';
import { loadConfigFile } from '@safeloop/contract';
import { GatewayConfigSchema } from '@safeloop/gateway/config';
import { preflight } from '@safeloop/gateway/preflight';
import { createLogger } from '../logger.ts';
import { onShutdown } from '../shutdown.ts';

export function registerGatewayCommand(program: Command): void {
  program
    .command('gateway')
    .description('Run the edge gateway: poll devices and bridges, evaluate edge alarms, journal to SQLite, forward to the cloud')
    .requiredOption('-c, --config <file>', 'gateway YAML config (see docs/configuration.md)')
    .option('--log-level <level>', 'debug | info | warn | error', 'info')
    .option('--check', 'run every check start would (profiles, buses and unit ids, ports, limits against ranges) without opening anything, print every problem, exit non-zero on any')
    .addHelpText(
      'after',
      '\nExamples:\n  safeloop gateway --config examples/demo-gateway.yaml --check\n  safeloop gateway --config examples/demo-gateway.yaml\n\nReadings and alarms are committed to the journal before they are sent; they are released only\nwhen the cloud acknowledges that it stored them. Ctrl-C stops cleanly, losing nothing journaled.',
    )
    .action(async (opts: { config: string; logLevel: string; check?: boolean }) => {
      const config = loadConfigFile(opts.config, GatewayConfigSchema);
      const configDir = dirname(resolve(opts.config));
      if (opts.check) {
        const { problems } = preflight(config, configDir);
        if (problems.length > 0) {
          for (const p of problems) process.stderr.write(`${opts.config}: ${p}\n`);
          process.stderr.write(`${opts.config}: ${problems.length} problem(s); the gateway would refuse to start\n`);
          process.exitCode = 1;
          return;
        }
        process.stdout.write(`${opts.config}: valid (${config.devices.length} devices, ${config.bridges.length} bridges, ${config.profileDirs.length} extra profile folders)\n`);
        return;
      }
      const logger = createLogger({ level: opts.logLevel, name: 'safeloop-gateway' });
      const { GatewayAgent } = await import('@safeloop/gateway');
      const agent = await GatewayAgent.start({ config, logger, configDir });
      onShutdown(() => agent.stop());
    });
}
