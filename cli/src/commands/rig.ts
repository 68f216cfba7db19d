import type { Command } from 'commander';
import { loadConfigFile } from '@safeloop/contract';
import { RigConfigSchema } from '@safeloop/test-rigs/rig-config';
import { createLogger } from '../logger.ts';
import { onShutdown } from '../shutdown.ts';

/** Where `safeloop rig` and `safeloop demo` listen for pause/resume (loopback only). */
export const DEFAULT_RIG_CONTROL = 'http://127.0.0.1:15099';

async function control(base: string, method: 'GET' | 'POST', path: string): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(new URL(path, base), { method });
  } catch (err) {
    throw new Error(`cannot reach the rig control at ${base} (is \`safeloop demo\` or \`safeloop rig\` running?): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const body = (await res.json()) as { error?: { message: string } };
  if (!res.ok) throw new Error(body.error?.message ?? `rig control answered ${res.status}`);
  return body;
}

function parseDevice(spec: string): { simulator: string; unit: number } {
  const m = /^([A-Za-z0-9_-]{1,64})[:/](\d{1,3})$/.exec(spec);
  if (!m) throw new Error(`device must be SIMULATOR:UNIT, e.g. tank-farm:1 (got "${spec}"); \`safeloop rig devices\` lists them`);
  return { simulator: m[1]!, unit: Number(m[2]) };
}

export function registerRigCommand(program: Command): void {
  const rig = program
    .command('rig')
    .description('Run simulated field devices (Modbus TCP/RTU, OPC-UA) with scenario curves and fault injection; pause and resume them while they run')
    .option('-c, --config <file>', 'rig YAML config, e.g. test-rigs/plants/demo-plant.yaml')
    .option('--control-port <port>', 'loopback port for pause/resume (0 = none)', '15099')
    .option('--log-level <level>', 'debug | info | warn | error', 'info')
    .addHelpText(
      'after',
      '\nExamples:\n  safeloop rig --config test-rigs/plants/demo-plant.yaml\n  safeloop rig devices\n  safeloop rig pause tank-farm:1     # gas detector GT-101 stops answering: a comm-loss fault alarm\n  safeloop rig resume tank-farm:1',
    )
    .action(async (opts: { config?: string; controlPort: string; logLevel: string }) => {
      if (!opts.config) throw new Error('give --config FILE to run a rig (or a subcommand: devices, pause, resume)');
      const config = loadConfigFile(opts.config, RigConfigSchema);
      const logger = createLogger({ level: opts.logLevel, name: 'safeloop-rig' });
      const { startRig, startRigControl } = await import('@safeloop/test-rigs');
      const running = await startRig(config, { logger });
      process.stdout.write(`rig running: ${JSON.stringify(running.endpoints)}\n`);
      const port = Number(opts.controlPort);
      const ctl = port > 0 ? await startRigControl(running, { port, logger }) : undefined;
      if (ctl) process.stdout.write(`rig control: ${ctl.url} (safeloop rig pause SIMULATOR:UNIT)\n`);
      onShutdown(async () => {
        await ctl?.stop();
        await running.stop();
      });
    });
  for (const action of ['pause', 'resume'] as const) {
    rig
      .command(`${action} <device>`)
      .description(action === 'pause' ? 'make a simulated Modbus device stop answering (SIMULATOR:UNIT)' : 'make a paused device answer again (SIMULATOR:UNIT)')
      .option('--control <url>', 'rig control URL', DEFAULT_RIG_CONTROL)
      .action(async (device: string, opts: { control: string }) => {
        const d = parseDevice(device);
        await control(opts.control, 'POST', `/devices/${d.simulator}/${d.unit}/${action}`);
        process.stdout.write(`${d.simulator}:${d.unit} ${action === 'pause' ? 'paused (silent)' : 'answering again'}\n`);
      });
  }
  rig
    .command('devices')
    .description('list the running rig’s Modbus devices and whether they are paused')
    .option('--control <url>', 'rig control URL', DEFAULT_RIG_CONTROL)
    .action(async (opts: { control: string }) => {
      const body = (await control(opts.control, 'GET', '/devices')) as { devices: { simulator: string; unit: number; paused: boolean }[] };
      for (const d of body.devices) process.stdout.write(`${d.simulator}:${d.unit}${d.paused ? '  (paused)' : ''}\n`);
    });
}
