import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import { createLogger } from '../logger.ts';
import { onShutdown } from '../shutdown.ts';

const LOGINS = [
  ['operator', 'safeloop', '企业值班员 enterprise operator (示例化工)'],
  ['county', 'safeloop', '区县监管 county monitor (东湖区 360102)'],
  ['admin', 'safeloop', '管理员 administrator'],
];

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('Run the whole system on this machine: embedded MQTT broker, cloud on SQLite, simulated plant, one gateway, dashboard')
    .option('--port <port>', 'dashboard/API port', '8080')
    .option('--mqtt-port <port>', 'embedded MQTT broker port', '18830')
    .option('--data-dir <dir>', 'where the cloud database and the gateway journal live (a restart continues from here)', './data')
    .option('--log-level <level>', 'debug | info | warn | error', 'info')
    .addHelpText(
      'after',
      '\nThe simulated plant: a tank farm (two combustible-gas detectors and an H2S detector on Modbus TCP,\ntank level/temperature/pressure on OPC-UA) and a tailings pond (water level, phreatic line, rainfall on Modbus).\nGas detector gas-01 ramps through 一级 (25 %LEL) and 二级 (50 %LEL) in the first minute, then falls back.\nLogs go to <data-dir>/demo.log. Ctrl-C stops everything cleanly.',
    )
    .action(async (opts: { port: string; mqttPort: string; dataDir: string; logLevel: string }) => {
      const dataDir = resolve(opts.dataDir);
      const logFile = join(dataDir, 'demo.log');
      const logger = createLogger({ level: opts.logLevel, file: logFile, name: 'safeloop-demo' });
      process.stdout.write('SafeLoop demo starting…\n');
      const { startDemo } = await import('../demo/start-demo.ts');
      const demo = await startDemo({ dataDir, httpPort: Number(opts.port), mqttPort: Number(opts.mqttPort), logger });
      const lines = [
        '',
        `  Dashboard:  ${demo.url}/`,
        `  API:        ${demo.url}/api/openapi.json`,
        `  Metrics:    curl -H "authorization: Bearer $(cat ${join(dataDir, 'cloud/metrics-token')})" ${demo.url}/metrics`,
        `  MQTT:       ${demo.mqttUrl}`,
        `  Data:       ${dataDir}   log: ${logFile}`,
        '',
        '  Demo logins (password / 密码):',
        ...LOGINS.map(([u, p, who]) => `    ${u?.padEnd(10)} ${p?.padEnd(10)} ${who}`),
        '',
        '  gas-01 ramps through 一级报警 (25 %LEL) and 二级报警 (50 %LEL) within the first minute.',
        '  Make a device fall silent (a comm-loss fault alarm, then stale data after 60 s), and bring it back:',
        '    npm run safeloop -- rig pause tank-farm:2      npm run safeloop -- rig resume tank-farm:2',
        '  Press Ctrl-C to stop.',
        '',
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
      demo.cloud.onAlarm((a) => {
        process.stdout.write(`  [alarm] ${new Date().toLocaleTimeString()} ${a.siteId} ${a.title} ${a.state}${a.condition === 'cleared' ? ' (cleared)' : ''}\n`);
      });
      onShutdown(() => demo.stop());
    });
}
