/**
 * Builds the provisioning parts for the cloud's composition root: CA (created on first start under
 * `dataDir/ca`), claim/certificate service, remote configuration, expiry watch, and optionally the mTLS
 * renewal endpoint.
 */
import { join } from 'node:path';
import type { Clock, Logger } from '@safeloop/contract';
import type { AlarmSink } from '../alarms/alarm-sink.ts';
import type { SqlDb } from '../db/index.ts';
import type { Registry } from '../tenancy/registry.ts';
import { CertificateAuthority } from './certificate-authority.ts';
import { CertificateExpiryWatch } from './expiry-watch.ts';
import { ProvisioningService } from './provisioning-service.ts';
import { RemoteConfigService, type GatewayConfigValidator } from './remote-config.ts';
import { RenewalServer } from './renewal-server.ts';

export interface ProvisioningOptions {
  /** Broker URL handed to claimed gateways; default the cloud's own MQTT URL. */
  brokerUrl?: string;
  /** Start the mTLS renewal endpoint on this address (port 0 = any free port). */
  renew?: { host: string; port: number; hostnames?: string[] };
  warnDays?: number;
  expiryCheckIntervalMs?: number;
  onCrlChanged?: (crlFile: string) => Promise<void> | void;
}

export interface ProvisioningParts {
  provisioning: ProvisioningService;
  remoteConfig: RemoteConfigService;
  expiryWatch: CertificateExpiryWatch;
  renewal?: RenewalServer;
  stop(): Promise<void>;
}

export async function startProvisioning(
  deps: { db: SqlDb; registry: Registry; alarms: AlarmSink; clock: Clock; logger: Logger; dataDir: string; brokerUrl: string; validateGatewayConfig?: GatewayConfigValidator | undefined },
  opts: ProvisioningOptions = {},
): Promise<ProvisioningParts> {
  const logger = deps.logger.child({ module: 'cloud:provisioning' });
  const ca = await CertificateAuthority.openOrCreate({ dir: join(deps.dataDir, 'ca'), now: () => deps.clock.now() });
  let renewUrl: string | undefined;
  const provisioning = new ProvisioningService({
    db: deps.db,
    registry: deps.registry,
    ca,
    clock: deps.clock,
    logger,
    brokerUrl: opts.brokerUrl ?? deps.brokerUrl,
    get renewUrl() {
      return renewUrl;
    },
    onCrlChanged: opts.onCrlChanged,
  });
  await provisioning.migrate();
  await provisioning.refreshCrl();
  const renewal = opts.renew ? await RenewalServer.start({ service: provisioning, logger, ...opts.renew }) : undefined;
  renewUrl = renewal?.url;
  const remoteConfig = new RemoteConfigService({ db: deps.db, registry: deps.registry, clock: deps.clock, logger, validate: deps.validateGatewayConfig });
  const expiryWatch = new CertificateExpiryWatch({
    inventory: provisioning,
    registry: deps.registry,
    alarms: deps.alarms,
    clock: deps.clock,
    logger,
    ...(opts.warnDays !== undefined ? { warnDays: opts.warnDays } : {}),
    ...(opts.expiryCheckIntervalMs !== undefined ? { intervalMs: opts.expiryCheckIntervalMs } : {}),
  });
  return {
    provisioning,
    remoteConfig,
    expiryWatch,
    ...(renewal ? { renewal } : {}),
    async stop() {
      await expiryWatch.stop();
      await renewal?.stop();
    },
  };
}
