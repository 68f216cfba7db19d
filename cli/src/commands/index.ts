import type { Command } from 'commander';
import { registerGatewayCommand } from './gateway.ts';
import { registerCloudCommand } from './cloud.ts';
import { registerRigCommand } from './rig.ts';
import { registerDemoCommand } from './demo.ts';
import { registerReadCommand } from './read.ts';
import { registerProfileCommand } from './profile.ts';
import { registerSchemaCommand } from './schema.ts';
import { registerProvisionCommand } from './provision.ts';
import { registerFieldProvisionCommands } from './provision-field.ts';

export function registerCommands(program: Command): void {
  registerDemoCommand(program);
  registerGatewayCommand(program);
  registerCloudCommand(program);
  registerRigCommand(program);
  registerReadCommand(program);
  registerProfileCommand(program);
  registerSchemaCommand(program);
  registerProvisionCommand(program, [registerFieldProvisionCommands]);
}
