/**
 * `safeloop provision …` — the command group for a technician's visit. This file owns the identity half:
 *   provision claim  --cloud URL --code CODE [--ca-fingerprint SHA256] [--gateway-id ID] [--out DIR]
 *   provision renew  --url URL [--dir DIR]
 * Other subcommands (scan, browse, commission) are added to the same group by passing their registrars.
 * Heavy modules load inside the actions so `--help` stays fast.
 */
import type { Command } from 'commander';

export type ProvisionRegistrar = (group: Command) => void;

export interface ProvisionCliIo {
  out: (text: string) => void;
}

const defaultIo: ProvisionCliIo = { out: (t) => process.stdout.write(t) };

/** Creates `safeloop provision`, adds claim and renew, then every extra registrar; returns the group. */
export function registerProvisionCommand(program: Command, extras: readonly ProvisionRegistrar[] = [], io: ProvisionCliIo = defaultIo): Command {
  const group = program.command('provision').description('Bring a gateway online: claim its identity, renew its certificate, find and commission devices');

  group
    .command('claim')
    .description('Register this gateway with the cloud: make a key pair here, send a CSR with a one-time claim code, store the certificate')
    .requiredOption('--cloud <url>', 'cloud base URL, e.g. https://cloud.example.org')
    .requiredOption('--code <code>', 'one-time claim code from the cloud (POST /api/sites/:id/claim-codes or the dashboard)')
    .option('--ca-fingerprint <sha256>', 'pin the cloud CA (SHA-256, shown with the claim code); required when --cloud is http://')
    .option('--gateway-id <id>', 'gateway id to register (default: the cloud makes one from the site)')
    .option('--out <dir>', 'folder for gateway.key (mode 0600), gateway.crt and ca.crt', 'identity')
    .addHelpText('after', '\nExample:\n  safeloop provision claim --cloud https://cloud.example.org --code 7K3M-Q9ZD-X2PA --gateway-id gw-dam-01 --out /etc/safeloop/identity\n\nThe private key never leaves this machine. Paste the printed uplink section into the gateway config.\nThe cloud URL must be https://, or the CA must be pinned with --ca-fingerprint: otherwise anyone on the network path could hand this gateway a CA of their own.')
    .action(async (opts: { cloud: string; code: string; caFingerprint?: string; gatewayId?: string; out: string }) => {
      const { claimGateway } = await import('@safeloop/gateway/provisioning');
      const { resolve } = await import('node:path');
      const r = await claimGateway({ cloudUrl: opts.cloud, code: opts.code, caFingerprint: opts.caFingerprint, gatewayId: opts.gatewayId, outDir: resolve(opts.out) });
      io.out(
        [
          `claimed: gateway ${r.gatewayId} for site ${r.siteId}`,
          `certificate valid until ${new Date(r.notAfter).toISOString()}`,
          `key:         ${r.paths.key} (mode 0600, never sent)`,
          `certificate: ${r.paths.cert}`,
          `CA:          ${r.paths.ca}`,
          '',
          '# gateway config (YAML):',
          r.uplinkYaml,
        ].join('\n'),
      );
    });

  group
    .command('renew')
    .description('Renew the gateway certificate over mutual TLS with the current one (new key pair made here)')
    .requiredOption('--url <url>', 'renewal endpoint printed by claim, e.g. https://cloud.example.org:8443/renew')
    .option('--dir <dir>', 'folder holding gateway.key, gateway.crt, ca.crt', 'identity')
    .action(async (opts: { url: string; dir: string }) => {
      const { renewCertificate } = await import('@safeloop/gateway/provisioning');
      const { resolve } = await import('node:path');
      const r = await renewCertificate({ url: opts.url, dir: resolve(opts.dir) });
      io.out(`renewed: serial ${r.serial} (was ${r.previousSerial}), valid until ${new Date(r.notAfter).toISOString()}; restart the gateway to use it\n`);
    });

  for (const add of extras) add(group);
  return group;
}
