/**
 * `safeloop` — one command-line program for every part of SafeLoop.
 * Config files are YAML validated by schema; an invalid file stops the program with a message that
 * names the file, the path inside it and what is wrong (exit code 2).
 */
import { Command, CommanderError } from 'commander';
import { ConfigError, SafeLoopError } from '@safeloop/contract';
import { registerCommands } from './commands/index.ts';

const program = new Command();
program
  .name('safeloop')
  .description('SafeLoop — safety-production risk monitoring and early warning (gateway, cloud, simulators, tools)')
  .showHelpAfterError()
  .exitOverride();
registerCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exit(err.exitCode);
  }
  if (err instanceof ConfigError) {
    process.stderr.write(`invalid configuration:\n${err.message}\n`);
    process.exit(2);
  }
  if (err instanceof SafeLoopError) {
    process.stderr.write(`error ${err.code}: ${err.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
}
