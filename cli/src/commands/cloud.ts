import type { Command } from 'commander';
import { loadConfigFile } from '@safeloop/contract';
import { CloudConfigSchema } from '@safeloop/cloud/config';
import { ProfileCatalog } from '@safeloop/device-profiles';
import { createLogger } from '../logger.ts';
import { onShutdown } from '../shutdown.ts';
import { REPO_ROOT } from '../repo-root.ts';

export function registerCloudCommand(program: Command): void {
  program
    .command('cloud')
    .description('Run the cloud: MQTT ingest, telemetry store, rules engine, alarm lifecycle and escalation, REST API and dashboard')
    .requiredOption('-c, --config <file>', 'cloud YAML config (see docs/configuration.md)')
    .option('--log-level <level>', 'debug | info | warn | error', 'info')
    .option('--check', 'validate the config and exit')
    .addHelpText(
      'after',
      '\nExamples:\n  safeloop cloud --config examples/demo-cloud.yaml          # SQLite + embedded broker\n  safeloop cloud --config examples/cloud-postgres.yaml       # PostgreSQL + external broker\n\nSeveral cloud processes may share one PostgreSQL and one broker (MQTT 5 shared subscriptions).',
    )
    .action(async (opts: { config: string; logLevel: string; check?: boolean }) => {
      const config = loadConfigFile(opts.config, CloudConfigSchema);
      // The profile folders are read as start reads them: a bad file or a duplicate id is refused here too.
      const profiles = ProfileCatalog.load({ dirs: config.profileDirs, baseDir: REPO_ROOT });
      if (opts.check) {
        const extra = profiles.entries().filter((e) => !e.library).length;
        process.stdout.write(`${opts.config}: valid (store ${config.store.kind}, ${profiles.entries().length} device profiles, ${extra} from profileDirs)\n`);
        return;
      }
      const logger = createLogger({ level: opts.logLevel, name: 'safeloop-cloud' });
      const { CloudService } = await import('@safeloop/cloud');
      const { checkGatewayConfig } = await import('@safeloop/gateway/config-check');
      const cloud = await CloudService.start(config, { logger, repoRoot: REPO_ROOT, validateGatewayConfig: checkGatewayConfig });
      process.stdout.write(`SafeLoop cloud listening on ${cloud.url}\n`);
      onShutdown(() => cloud.stop());
    });
}
